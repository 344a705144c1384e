//! Symbol normalizers: generated JVM class names and native/Rust function names, reduced to
//! what stays the same from one build or JVM run to the next.

use std::sync::LazyLock;

use regex::Regex;

/// Generated-class markers whose numbers or hashes change between JVM runs.
static JAVA_CODEGEN: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // sun.reflect.GeneratedMethodAccessor123, jdk.internal.reflect.GeneratedConstructorAccessor7
        (
            r"(Generated(?:Serialization)?(?:Method|Constructor)Accessor)[0-9]+",
            "${1}",
        ),
        // Foo$$EnhancerBySpringCGLIB$$1a2b3c, Foo$$FastClassByGuice$$9f, Foo$$SpringCGLIB$$0
        (
            r"(\$\$(?:EnhancerBy[A-Za-z]*|FastClassBy[A-Za-z]*|SpringCGLIB)\$\$)[0-9a-fA-F]+",
            "${1}<auto>",
        ),
        (r"(\$HibernateProxy\$)[A-Za-z0-9]+", "${1}<auto>"),
        (r"(\$(?:MockitoMock|ByteBuddy)\$)[A-Za-z0-9]+", "${1}<auto>"),
        (r"(_\$\$_javassist(?:_seam)?)_[0-9]+", "${1}<auto>"),
        // com.sun.proxy.$Proxy123, jdk.proxy2.$Proxy45
        (r"(\$Proxy)[0-9]+", "${1}<auto>"),
        (r"^(jdk\.proxy)[0-9]+", "${1}<auto>"),
        // Clojure: user$fn__1234, user$eval5678
        (r"(\$(?:fn|eval)_{0,2})[0-9]+", "${1}<auto>"),
    ]
    .into_iter()
    .filter_map(|(pattern, replacement)| Regex::new(pattern).ok().map(|re| (re, replacement)))
    .collect()
});

/// Java class/file name with generated-code markers replaced, or `None` when unchanged.
pub(crate) fn normalize_java_class(name: &str) -> Option<String> {
    // Every marker contains `$`, `Generated` or `jdk.proxy`; most class names have none.
    if !name.contains('$') && !name.contains("Generated") && !name.starts_with("jdk.proxy") {
        return None;
    }
    let mut out = name.to_owned();
    for (re, replacement) in JAVA_CODEGEN.iter() {
        if re.is_match(&out) {
            out = re.replace_all(&out, *replacement).into_owned();
        }
    }
    (out != name).then_some(out)
}
static RUST_HASH_SUFFIX: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"::h[0-9a-f]{16}$").ok());

/// Reduces a native/C++/Rust symbol to its bare function path: drops the parameter list,
/// cv-qualifiers, the return type and Rust's `::h<hash>` suffix.
pub(crate) fn trim_native_function(func: &str) -> &str {
    let mut s = func.trim();
    if let Some(re) = RUST_HASH_SUFFIX.as_ref() {
        if let Some(m) = re.find(s) {
            s = &s[..m.start()];
        }
    }
    for suffix in [" const", " volatile", " &&", " &"] {
        if let Some(stripped) = s.strip_suffix(suffix) {
            s = stripped.trim_end();
        }
    }
    if s.ends_with(')') {
        if let Some(open) = matching_open(s, '(', ')') {
            if open > 0 {
                s = s[..open].trim_end();
            }
        }
    }
    // Return type: text before the last top-level space.
    let mut depth = 0i32;
    let mut cut = None;
    for (i, ch) in s.char_indices() {
        match ch {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth -= 1,
            ' ' if depth == 0 => cut = Some(i),
            _ => {}
        }
    }
    if let Some(i) = cut {
        let tail = &s[i + 1..];
        if !tail.is_empty() && !s.starts_with("operator") && !tail.starts_with("operator") {
            s = tail;
        }
    }
    s
}

/// Byte index of the bracket matching the closing one at the end of `s`.
fn matching_open(s: &str, open: char, close: char) -> Option<usize> {
    let mut depth = 0i32;
    for (i, ch) in s.char_indices().rev() {
        if ch == close {
            depth += 1;
        } else if ch == open {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_trimming() {
        assert_eq!(
            trim_native_function("void foo::Bar<int>::baz(int, char*) const"),
            "foo::Bar<int>::baz"
        );
        assert_eq!(
            trim_native_function("myapp::run::h0123456789abcdef"),
            "myapp::run"
        );
        assert_eq!(trim_native_function("main"), "main");
    }

    #[test]
    fn every_codegen_pattern_compiles() {
        assert_eq!(JAVA_CODEGEN.len(), 8);
        assert!(RUST_HASH_SUFFIX.is_some());
    }

    #[test]
    fn java_class_names() {
        assert_eq!(normalize_java_class("com.x.Foo"), None);
        assert_eq!(
            normalize_java_class("com.x.Foo_$$_javassist_42").as_deref(),
            Some("com.x.Foo_$$_javassist<auto>")
        );
        assert_eq!(
            normalize_java_class("com.x.Foo$HibernateProxy$AbC12").as_deref(),
            Some("com.x.Foo$HibernateProxy$<auto>")
        );
        assert_eq!(
            normalize_java_class("user$fn__1234").as_deref(),
            Some("user$fn__<auto>")
        );
    }
}
