//! Event ids: 32 lowercase hex characters, the form Sentry answers with.

/// Normalizes an event id to 32 lowercase hex characters.
///
/// Accepts the 32-character form and the 36-character UUID form with dashes, in any case.
/// Returns `None` for anything else.
///
/// ```
/// use faultline_protocol::normalize_event_id;
/// assert_eq!(
///     normalize_event_id("66EB46B2-6E11-4FBA-9B49-D4566B732AA4").as_deref(),
///     Some("66eb46b26e114fba9b49d4566b732aa4"),
/// );
/// assert_eq!(normalize_event_id("not-an-id"), None);
/// ```
pub fn normalize_event_id(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.len() != 32 && raw.len() != 36 {
        return None;
    }
    let dashes = raw.bytes().filter(|&b| b == b'-').count();
    let valid_dashes = match raw.len() {
        32 => dashes == 0,
        _ => {
            dashes == 4
                && [8, 13, 18, 23]
                    .iter()
                    .all(|&i| raw.as_bytes().get(i) == Some(&b'-'))
        }
    };
    let hex = || raw.chars().filter(|c| *c != '-');
    if valid_dashes && hex().all(|c| c.is_ascii_hexdigit()) {
        Some(hex().map(|c| c.to_ascii_lowercase()).collect())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_and_dashed_forms() {
        let id = "66eb46b26e114fba9b49d4566b732aa4";
        assert_eq!(normalize_event_id(id).as_deref(), Some(id));
        assert_eq!(normalize_event_id(&id.to_uppercase()).as_deref(), Some(id));
        assert_eq!(
            normalize_event_id("66eb46b2-6e11-4fba-9b49-d4566b732aa4").as_deref(),
            Some(id)
        );
        assert_eq!(
            normalize_event_id(" 66eb46b26e114fba9b49d4566b732aa4 ").as_deref(),
            Some(id)
        );
    }

    #[test]
    fn rejects_other_shapes() {
        assert_eq!(normalize_event_id(""), None);
        assert_eq!(normalize_event_id("66eb46b26e114fba9b49d4566b732aa"), None);
        assert_eq!(normalize_event_id("66eb46b26e114fba9b49d4566b732aag"), None);
        assert_eq!(
            normalize_event_id("66eb46b26e114fba-9b49d4566b732aa4---"),
            None
        );
        assert_eq!(
            normalize_event_id("66eb46b2-6e114fba9b49d4566b732aa4--"),
            None
        );
        // Multi-byte characters must not confuse the length checks.
        assert_eq!(normalize_event_id("ééééééééééééééééé"), None);
    }
}
