//! Grouping components: the tree of values that a grouping strategy builds, and its hash.
//!
//! A component has an id (`exception`, `frame`, `function`, …), a `contributes` flag, an optional
//! hint saying why it was (not) used, and children that are either leaf strings or components.
//! Only contributing leaves reach the hash (§4.9): md5 over their UTF-8 bytes, concatenated
//! depth-first with no separator.

use md5::{Digest, Md5};
use serde_json::{json, Value};

/// A child of a component: a leaf value or a nested component.
#[derive(Debug, Clone)]
pub(crate) enum Part {
    Leaf(String),
    Node(Component),
}

/// One node of the grouping tree.
#[derive(Debug, Clone)]
pub(crate) struct Component {
    pub(crate) id: &'static str,
    pub(crate) contributes: bool,
    pub(crate) hint: Option<String>,
    pub(crate) values: Vec<Part>,
}

impl Component {
    /// A component whose `contributes` is computed from its children: true when any leaf is
    /// present or any child component contributes.
    pub(crate) fn node(id: &'static str, children: Vec<Component>) -> Self {
        Self::from_parts(id, children.into_iter().map(Part::Node).collect())
    }

    /// Like [`Component::node`] but with children that may be leaves.
    pub(crate) fn from_parts(id: &'static str, values: Vec<Part>) -> Self {
        let contributes = values.iter().any(|p| match p {
            Part::Leaf(_) => true,
            Part::Node(c) => c.contributes,
        });
        Component {
            id,
            contributes,
            hint: None,
            values,
        }
    }

    /// A component holding one leaf value (contributing).
    pub(crate) fn leaf(id: &'static str, value: impl Into<String>) -> Self {
        Self::from_parts(id, vec![Part::Leaf(value.into())])
    }

    /// A component with no values (never contributes).
    pub(crate) fn empty(id: &'static str) -> Self {
        Component {
            id,
            contributes: false,
            hint: None,
            values: Vec::new(),
        }
    }

    /// Marks the component as not contributing, with a reason.
    pub(crate) fn ignore(&mut self, hint: &str) {
        self.contributes = false;
        self.hint = Some(hint.to_owned());
    }

    /// Sets a hint without changing `contributes`.
    pub(crate) fn set_hint(&mut self, hint: &str) {
        self.hint = Some(hint.to_owned());
    }

    /// Replaces the leaf values of a leaf component (keeps `contributes`).
    pub(crate) fn replace_leaf(&mut self, value: String, hint: &str) {
        self.values = vec![Part::Leaf(value)];
        self.hint = Some(hint.to_owned());
    }

    /// Appends the contributing leaf values, depth-first.
    pub(crate) fn collect_values<'a>(&'a self, out: &mut Vec<&'a str>) {
        if !self.contributes {
            return;
        }
        for part in &self.values {
            match part {
                Part::Leaf(s) => out.push(s),
                Part::Node(c) => c.collect_values(out),
            }
        }
    }

    /// The contributing leaf values, depth-first.
    pub(crate) fn values(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_values(&mut out);
        out
    }

    /// md5 of the contributing values, or `None` when the component does not contribute.
    pub(crate) fn hash(&self) -> Option<String> {
        self.contributes.then(|| hash_values(self.values()))
    }

    /// True when this component or a descendant with the given id contributes.
    pub(crate) fn has_contributing(&self, id: &str) -> bool {
        if !self.contributes {
            return false;
        }
        if self.id == id {
            return true;
        }
        self.values.iter().any(|p| match p {
            Part::Node(c) => c.has_contributing(id),
            Part::Leaf(_) => false,
        })
    }

    /// The JSON shape used by the "why grouped" view:
    /// `{"id", "contributes", "hint", "values": [child components or leaf strings]}`.
    pub(crate) fn to_json(&self) -> Value {
        let values: Vec<Value> = self
            .values
            .iter()
            .map(|p| match p {
                Part::Leaf(s) => Value::String(s.clone()),
                Part::Node(c) => c.to_json(),
            })
            .collect();
        json!({
            "id": self.id,
            "contributes": self.contributes,
            "hint": self.hint,
            "values": values,
        })
    }
}

/// md5 (32 lowercase hex) over the concatenated UTF-8 bytes of `values` (§4.9).
pub(crate) fn hash_values<I, S>(values: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut md5 = Md5::new();
    for v in values {
        md5.update(v.as_ref().as_bytes());
    }
    hex::encode(md5.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_md5_of_concatenation() {
        assert_eq!(
            hash_values(Vec::<&str>::new()),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        assert_eq!(hash_values(["fo", "o"]), hash_values(["foo"]));
        assert_eq!(hash_values(["foo"]), "acbd18db4cc2f85cedef654fccc4a4d8");
    }

    #[test]
    fn non_contributing_children_are_skipped() {
        let mut ignored = Component::leaf("value", "secret");
        ignored.ignore("ignored because stacktrace takes precedence");
        let tree = Component::node("exception", vec![Component::leaf("type", "E"), ignored]);
        assert!(tree.contributes);
        assert_eq!(tree.values(), vec!["E"]);
        assert_eq!(tree.hash(), Some(hash_values(["E"])));
        let empty = Component::node("stacktrace", vec![Component::empty("frame")]);
        assert!(!empty.contributes);
        assert_eq!(empty.hash(), None);
    }
}
