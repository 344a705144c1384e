//! One stack frame: its tolerant parsed form and its grouping component (§4.3).
//!
//! A frame hashes `module` (or, when no module contributes, the lower-cased basename of
//! `filename`), the normalized `function`, and for JavaScript/Node/Python/PHP/Ruby the context
//! line with whitespace collapsed. Line and column numbers are never hashed.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::component::{Components, LeafComponent};
use crate::event::{family, is_jvm, Family};
use crate::normalize::{normalize_java_class, trim_native_function};

/// A frame as read from the event, plus the flags the stack rules computed for it.
#[derive(Debug, Clone)]
pub(crate) struct Frame<'a> {
    pub(crate) raw: &'a Map<String, Value>,
    pub(crate) platform: &'a str,
    pub(crate) function: Option<&'a str>,
    pub(crate) raw_function: Option<&'a str>,
    pub(crate) module: Option<&'a str>,
    pub(crate) filename: Option<&'a str>,
    pub(crate) abs_path: Option<&'a str>,
    pub(crate) package: Option<&'a str>,
    pub(crate) context_line: Option<&'a str>,
    /// `in_app` as the SDK sent it.
    pub(crate) sdk_in_app: Option<bool>,
    /// Effective in-app flag after the stack rules (unset counts as `false`).
    pub(crate) in_app: bool,
    /// False when a stack rule excludes the frame from grouping (`-group`).
    pub(crate) group: bool,
    call_site: CallSite<'a>,
}

/// The raw fields that identify a call site, as sent (recursion detection, §4.4): a missing
/// field, `null` and `""` all differ.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct CallSite<'a> {
    abs_path: Option<&'a Value>,
    package: Option<&'a Value>,
    module: Option<&'a Value>,
    filename: Option<&'a Value>,
    function: Option<&'a Value>,
    lineno: Option<&'a Value>,
    colno: Option<&'a Value>,
}

impl<'a> Frame<'a> {
    /// Reads a frame object (in one pass over its fields); the frame's own `platform` overrides
    /// the event's. String fields count only when non-empty.
    pub(crate) fn parse(raw: &'a Map<String, Value>, event_platform: &'a str) -> Self {
        let mut frame = Frame {
            raw,
            platform: event_platform,
            function: None,
            raw_function: None,
            module: None,
            filename: None,
            abs_path: None,
            package: None,
            context_line: None,
            sdk_in_app: None,
            in_app: false,
            group: true,
            call_site: CallSite::default(),
        };
        for (key, value) in raw {
            let text = value.as_str().filter(|s| !s.is_empty());
            let site = &mut frame.call_site;
            match key.as_str() {
                "platform" => frame.platform = text.unwrap_or(event_platform),
                "function" => (frame.function, site.function) = (text, Some(value)),
                "raw_function" => frame.raw_function = text,
                "module" => (frame.module, site.module) = (text, Some(value)),
                "filename" => (frame.filename, site.filename) = (text, Some(value)),
                "abs_path" => (frame.abs_path, site.abs_path) = (text, Some(value)),
                "package" => (frame.package, site.package) = (text, Some(value)),
                "context_line" => frame.context_line = text,
                "in_app" => frame.sdk_in_app = value.as_bool(),
                "lineno" => site.lineno = Some(value),
                "colno" => site.colno = Some(value),
                _ => {}
            }
        }
        frame.in_app = frame.sdk_in_app.unwrap_or(false);
        frame
    }

    pub(crate) fn family(&self) -> Family {
        family(self.platform)
    }

    /// True when the frame's file is served from a URL (browser JavaScript).
    pub(crate) fn has_url_origin(&self) -> bool {
        self.abs_path.is_some_and(is_url) || self.filename.is_some_and(is_url)
    }

    /// True when the raw fields that identify a call site equal those of `other`
    /// (recursion detection, §4.4).
    pub(crate) fn same_call_site(&self, other: &Frame<'_>) -> bool {
        self.call_site == other.call_site
    }

    /// The function name used for grouping (before normalization).
    fn grouping_function(&self) -> Option<&'a str> {
        let prefer_raw = self.platform == "csharp" || self.family() == Family::JavaScript;
        if prefer_raw {
            self.raw_function.or(self.function)
        } else {
            self.function.or(self.raw_function)
        }
    }
}

/// True when `s` starts with `prefix`, ignoring ASCII case.
pub(crate) fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// True for `http:`, `https:`, `blob:`, `ws:` style origins.
pub(crate) fn is_url(path: &str) -> bool {
    ["http://", "https://", "blob:", "ws://", "wss://"]
        .iter()
        .any(|p| starts_with_ignore_case(path, p))
}

/// The grouping component of one frame, computed once and pushed into every variant's tree.
#[derive(Debug, Clone)]
pub(crate) struct FrameComponent<'a> {
    module: LeafComponent<'a>,
    filename: LeafComponent<'a>,
    function: LeafComponent<'a>,
    /// Only on platforms whose source lines are hashed.
    context_line: Option<LeafComponent<'a>>,
    pub(crate) contributes: bool,
    hint: Option<&'static str>,
}

impl FrameComponent<'_> {
    /// Marks the frame as not contributing, with a reason.
    pub(crate) fn ignore(&mut self, hint: &'static str) {
        self.contributes = false;
        self.hint = Some(hint);
    }

    /// Appends the `frame` component to `tree`; `ignore` marks this copy as not contributing
    /// (the app variant's "non app frame").
    pub(crate) fn push_to(&self, tree: &mut Components, ignore: Option<&'static str>) {
        let node = tree.begin("frame");
        tree.push(&self.module);
        tree.push(&self.filename);
        tree.push(&self.function);
        if let Some(context_line) = &self.context_line {
            tree.push(context_line);
        }
        tree.end(node);
        match ignore {
            Some(hint) => tree.ignore(node, hint),
            None => tree.set_flags(node, self.contributes, self.hint),
        }
    }
}

/// The grouping component of one frame.
pub(crate) fn frame_component<'a>(frame: &Frame<'a>) -> FrameComponent<'a> {
    let module = module_component(frame);
    let mut filename = filename_component(frame);
    if module.contributes && filename.contributes {
        filename.ignore("module takes precedence");
    }
    let context_line = context_line_component(frame);
    let function = function_component(frame, context_line.contributes);
    let context_line = context_line_platform(frame.platform).then_some(context_line);

    let contributes = module.contributes
        || filename.contributes
        || function.contributes
        || context_line.as_ref().is_some_and(|c| c.contributes);
    let mut rv = FrameComponent {
        module,
        filename,
        function,
        context_line,
        contributes,
        hint: None,
    };

    if frame.family() == Family::JavaScript {
        let low_quality_path = matches!(
            frame.abs_path.or(frame.filename),
            Some("[native code]" | "native code" | "eval code" | "<anonymous>")
        );
        if frame.grouping_function() == Some("eval") || low_quality_path {
            rv.ignore("ignored low quality javascript frame");
        }
    }
    rv
}

fn context_line_platform(platform: &str) -> bool {
    matches!(platform, "javascript" | "node" | "python" | "php" | "ruby")
}

fn module_component<'a>(frame: &Frame<'a>) -> LeafComponent<'a> {
    let Some(module) = frame.module else {
        return LeafComponent::empty("module");
    };
    let mut c = LeafComponent::new("module", module);
    if frame.family() == Family::JavaScript {
        if module.contains('/') && frame.abs_path.is_some_and(|p| p.ends_with(module)) {
            c.ignore("ignored bad javascript module");
        }
    } else if is_jvm(frame.platform) {
        if module.contains("$$Lambda") {
            c.ignore("ignored java lambda");
        } else if let Some(normalized) = normalize_java_class(module) {
            c.replace(normalized, "removed codegen marker");
        }
    }
    c
}

/// `s` in lower case, borrowed when it already is.
fn to_lowercase(s: &str) -> Cow<'_, str> {
    if s.is_ascii() && !s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

fn filename_component<'a>(frame: &Frame<'a>) -> LeafComponent<'a> {
    let Some(filename) = frame.filename else {
        return LeafComponent::empty("filename");
    };
    let start = filename
        .bytes()
        .rposition(|b| b == b'/' || b == b'\\')
        .map_or(0, |i| i + 1);
    let basename = to_lowercase(filename.get(start..).unwrap_or(filename));
    if basename.is_empty() {
        return LeafComponent::empty("filename");
    }
    let ignored = if frame.has_url_origin() {
        Some("ignored because frame points to a URL")
    } else if basename == "<anonymous>" {
        Some("anonymous filename discarded")
    } else if basename == "[native code]" {
        Some("native code indicated by filename")
    } else {
        None
    };
    let normalized = match ignored {
        None if is_jvm(frame.platform) => normalize_java_class(&basename),
        _ => None,
    };
    let mut c = LeafComponent::new("filename", basename);
    if let Some(hint) = ignored {
        c.ignore(hint);
    } else if let Some(normalized) = normalized {
        c.replace(normalized, "removed codegen marker");
    }
    c
}

static RUBY_ERB_SUFFIX: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"__[0-9]+_[0-9]+$").ok());

fn function_component<'a>(frame: &Frame<'a>, context_line_contributes: bool) -> LeafComponent<'a> {
    let Some(func) = frame.grouping_function() else {
        return LeafComponent::empty("function");
    };
    let fam = frame.family();
    let func = if fam == Family::Native {
        trim_native_function(func)
    } else {
        func
    };
    let mut c = LeafComponent::new("function", func);
    if frame.platform == "ruby" {
        if func.starts_with("block ") {
            c.replace("block", "ruby block");
        } else if let Some(re) = RUBY_ERB_SUFFIX.as_ref() {
            if re.is_match(func) {
                c.replace(
                    re.replace(func, ""),
                    "removed generated erb template suffix",
                );
            }
        }
    } else if frame.platform == "php" {
        if func.starts_with("[Anonymous") {
            c.ignore("ignored anonymous function");
        } else if func.starts_with("class@anonymous") {
            let method = func.rsplit("::").next().unwrap_or(func);
            c.replace(method, "anonymous class method");
        }
    } else if is_jvm(frame.platform) {
        if func.starts_with("lambda$") {
            c.ignore("ignored lambda function");
        }
    } else if fam == Family::Native {
        if func == "<redacted>" || func == "<unknown>" {
            c.ignore("ignored unknown function");
        }
    } else if fam == Family::JavaScript {
        let last = func.rsplit('.').next().unwrap_or(func);
        if last.is_empty() {
            c = LeafComponent::empty("function");
        } else {
            if last != func {
                c.replace(last, "trimmed javascript function");
            }
            let unknown = matches!(
                last,
                "?" | "<anonymous function>" | "<anonymous>" | "Anonymous function"
            ) || last.ends_with("/<");
            if unknown {
                c.ignore("ignored unknown function name");
            } else if sourcemap_used(frame) && context_line_contributes {
                c.ignore("ignored because sourcemap used and context line available");
            }
        }
    }
    c
}

fn sourcemap_used(frame: &Frame<'_>) -> bool {
    frame
        .raw
        .get("data")
        .and_then(|d| d.get("sourcemap"))
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty())
}

/// `s` with its words separated by single spaces (ends trimmed), borrowed when it can be.
fn collapse_whitespace(s: &str) -> Cow<'_, str> {
    let trimmed = s.trim();
    // ASCII text is checked byte by byte (then bytes are characters).
    let single_spaced = if trimmed.is_ascii() {
        single_spaced(trimmed.bytes().map(char::from))
    } else {
        single_spaced(trimmed.chars())
    };
    if single_spaced {
        return Cow::Borrowed(trimmed);
    }
    let mut out = String::with_capacity(trimmed.len());
    for word in trimmed.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    Cow::Owned(out)
}

/// True when every whitespace character is a space that follows a non-space (for text that
/// starts with a non-space).
fn single_spaced(mut chars: impl Iterator<Item = char>) -> bool {
    let mut after_space = false;
    chars.all(|c| {
        let space = c.is_whitespace();
        let ok = !space || (c == ' ' && !after_space);
        after_space = space;
        ok
    })
}

fn context_line_component<'a>(frame: &Frame<'a>) -> LeafComponent<'a> {
    let Some(raw) = frame.context_line else {
        return LeafComponent::empty("context-line");
    };
    let line = collapse_whitespace(raw);
    if line.is_empty() {
        return LeafComponent::empty("context-line");
    }
    let mut c = LeafComponent::new("context-line", line);
    if raw.len() > 120 && raw.chars().count() > 120 {
        c.ignore("discarded because line too long");
    } else if frame.family() == Family::JavaScript
        && frame.function.is_none()
        && (frame.has_url_origin() || frame.abs_path.is_some_and(|p| p.starts_with("file:")))
    {
        c.ignore("discarded because from URL origin");
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn comp(frame: serde_json::Value, platform: &str) -> Vec<String> {
        let Some(raw) = frame.as_object() else {
            return vec![];
        };
        let f = Frame::parse(raw, "x");
        let f = Frame {
            platform: if platform.is_empty() {
                f.platform
            } else {
                platform
            },
            ..f
        };
        let mut tree = Components::default();
        frame_component(&f).push_to(&mut tree, None);
        tree.values().map(|v| v.into_owned()).collect()
    }

    #[test]
    fn python_module_function_context() {
        let v = comp(
            json!({"module": "app.views", "filename": "app/views.py", "function": "get",
                   "context_line": "    raise   ValueError(x)", "lineno": 3}),
            "python",
        );
        assert_eq!(v, ["app.views", "get", "raise ValueError(x)"]);
    }

    #[test]
    fn filename_basename_lowercased_when_no_module() {
        let v = comp(
            json!({"filename": "C:\\src\\Main.GO", "function": "main"}),
            "go",
        );
        assert_eq!(v, ["main.go", "main"]);
    }

    #[test]
    fn javascript_function_and_url() {
        let f = json!({"abs_path": "https://x.io/static/app.js", "filename": "https://x.io/static/app.js",
                       "function": "Foo.prototype.bar", "context_line": "bar()"});
        assert_eq!(comp(f, "javascript"), ["bar", "bar()"]);
        let anon = json!({"filename": "/app/x.js", "function": "Object.<anonymous>"});
        assert_eq!(comp(anon, "node"), ["x.js"]);
        let long = json!({"filename": "/a/x.js", "function": "f", "context_line": "x".repeat(121)});
        assert_eq!(comp(long, "node"), ["x.js", "f"]);
        let eval = json!({"filename": "/a/x.js", "function": "eval"});
        assert!(comp(eval, "node").is_empty());
    }

    #[test]
    fn java_normalizations() {
        let lambda = json!({"module": "com.x.Svc$$Lambda$42/0x0000000800c0b840", "filename": "Svc.java",
                            "function": "lambda$run$0"});
        assert_eq!(comp(lambda, "java"), ["svc.java"]);
        let cglib =
            json!({"module": "com.x.Svc$$EnhancerBySpringCGLIB$$5e2a1b", "function": "save"});
        assert_eq!(
            comp(cglib, "java"),
            ["com.x.Svc$$EnhancerBySpringCGLIB$$<auto>", "save"]
        );
        let acc = json!({"module": "jdk.internal.reflect.GeneratedMethodAccessor17", "function": "invoke"});
        assert_eq!(
            comp(acc, "java"),
            ["jdk.internal.reflect.GeneratedMethodAccessor", "invoke"]
        );
        let proxy = json!({"module": "jdk.proxy2.$Proxy123", "function": "find"});
        assert_eq!(
            comp(proxy, "java"),
            ["jdk.proxy<auto>.$Proxy<auto>", "find"]
        );
    }

    #[test]
    fn whitespace_collapsing() {
        assert_eq!(collapse_whitespace("    raise   x(1)\t"), "raise x(1)");
        assert!(matches!(
            collapse_whitespace("  a b "),
            Cow::Borrowed("a b")
        ));
        assert_eq!(collapse_whitespace("a\u{a0}\u{2003}b  ü"), "a b ü");
        assert_eq!(collapse_whitespace("a\x0bb"), "a b");
        assert_eq!(collapse_whitespace(" \n "), "");
    }

    #[test]
    fn ruby_and_php() {
        assert_eq!(
            comp(
                json!({"filename": "a.rb", "function": "block in foo"}),
                "ruby"
            ),
            ["a.rb", "block"]
        );
        assert_eq!(
            comp(
                json!({"filename": "a.erb", "function": "_app_views_x_erb__123_456"}),
                "ruby"
            ),
            ["a.erb", "_app_views_x_erb"]
        );
        assert_eq!(
            comp(
                json!({"filename": "a.php", "function": "[Anonymous function]"}),
                "php"
            ),
            ["a.php"]
        );
    }
}
