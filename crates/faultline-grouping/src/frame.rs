//! One stack frame: its tolerant parsed form and its grouping component (§4.3).
//!
//! A frame hashes `module` (or, when no module contributes, the lower-cased basename of
//! `filename`), the normalized `function`, and for JavaScript/Node/Python/PHP/Ruby the context
//! line with whitespace collapsed. Line and column numbers are never hashed.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::component::Component;
use crate::event::{family, is_jvm, str_field, Family};
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
}

impl<'a> Frame<'a> {
    /// Reads a frame object; the frame's own `platform` overrides the event's.
    pub(crate) fn parse(raw: &'a Map<String, Value>, event_platform: &'a str) -> Self {
        let sdk_in_app = raw.get("in_app").and_then(Value::as_bool);
        Frame {
            raw,
            platform: str_field(raw, "platform").unwrap_or(event_platform),
            function: str_field(raw, "function"),
            raw_function: str_field(raw, "raw_function"),
            module: str_field(raw, "module"),
            filename: str_field(raw, "filename"),
            abs_path: str_field(raw, "abs_path"),
            package: str_field(raw, "package"),
            context_line: str_field(raw, "context_line"),
            sdk_in_app,
            in_app: sdk_in_app.unwrap_or(false),
            group: true,
        }
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
        [
            "abs_path", "package", "module", "filename", "function", "lineno", "colno",
        ]
        .iter()
        .all(|k| self.raw.get(*k) == other.raw.get(*k))
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

/// True for `http:`, `https:`, `blob:`, `ws:` style origins.
pub(crate) fn is_url(path: &str) -> bool {
    let lower = path.get(..8).unwrap_or(path).to_ascii_lowercase();
    ["http://", "https://", "blob:", "ws://", "wss://"]
        .iter()
        .any(|p| lower.starts_with(p))
}

/// The grouping component of one frame.
pub(crate) fn frame_component(frame: &Frame<'_>) -> Component {
    let module = module_component(frame);
    let mut filename = filename_component(frame);
    if module.contributes && filename.contributes {
        filename.ignore("module takes precedence");
    }
    let context_line = context_line_component(frame);
    let function = function_component(frame, context_line.contributes);

    let mut children = vec![module, filename, function];
    if context_line_platform(frame.platform) {
        children.push(context_line);
    }
    let mut rv = Component::node("frame", children);

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

fn module_component(frame: &Frame<'_>) -> Component {
    let Some(module) = frame.module else {
        return Component::empty("module");
    };
    let mut c = Component::leaf("module", module);
    if frame.family() == Family::JavaScript {
        if module.contains('/') && frame.abs_path.is_some_and(|p| p.ends_with(module)) {
            c.ignore("ignored bad javascript module");
        }
    } else if is_jvm(frame.platform) {
        if module.contains("$$Lambda") {
            c.ignore("ignored java lambda");
        } else if let Some(normalized) = normalize_java_class(module) {
            c.replace_leaf(normalized, "removed codegen marker");
        }
    }
    c
}

fn filename_component(frame: &Frame<'_>) -> Component {
    let Some(filename) = frame.filename else {
        return Component::empty("filename");
    };
    let basename = filename
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(filename)
        .to_lowercase();
    if basename.is_empty() {
        return Component::empty("filename");
    }
    let mut c = Component::leaf("filename", basename.clone());
    if frame.has_url_origin() {
        c.ignore("ignored because frame points to a URL");
    } else if basename == "<anonymous>" {
        c.ignore("anonymous filename discarded");
    } else if basename == "[native code]" {
        c.ignore("native code indicated by filename");
    } else if is_jvm(frame.platform) {
        if let Some(normalized) = normalize_java_class(&basename) {
            c.replace_leaf(normalized, "removed codegen marker");
        }
    }
    c
}

static RUBY_ERB_SUFFIX: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"__[0-9]+_[0-9]+$").ok());

fn function_component(frame: &Frame<'_>, context_line_contributes: bool) -> Component {
    let Some(func) = frame.grouping_function() else {
        return Component::empty("function");
    };
    let fam = frame.family();
    let func = if fam == Family::Native {
        trim_native_function(func)
    } else {
        func.to_owned()
    };
    let mut c = Component::leaf("function", func.clone());
    if frame.platform == "ruby" {
        if func.starts_with("block ") {
            c.replace_leaf("block".to_owned(), "ruby block");
        } else if let Some(re) = RUBY_ERB_SUFFIX.as_ref() {
            if re.is_match(&func) {
                let trimmed = re.replace(&func, "").into_owned();
                c.replace_leaf(trimmed, "removed generated erb template suffix");
            }
        }
    } else if frame.platform == "php" {
        if func.starts_with("[Anonymous") {
            c.ignore("ignored anonymous function");
        } else if func.starts_with("class@anonymous") {
            let method = func.rsplit("::").next().unwrap_or(&func).to_owned();
            c.replace_leaf(method, "anonymous class method");
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
        let last = func.rsplit('.').next().unwrap_or(&func).to_owned();
        if last.is_empty() {
            c = Component::empty("function");
        } else {
            if last != func {
                c.replace_leaf(last.clone(), "trimmed javascript function");
            }
            let unknown = matches!(
                last.as_str(),
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

fn context_line_component(frame: &Frame<'_>) -> Component {
    let Some(raw) = frame.context_line else {
        return Component::empty("context-line");
    };
    let line = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.is_empty() {
        return Component::empty("context-line");
    }
    let mut c = Component::leaf("context-line", line);
    if raw.chars().count() > 120 {
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
        frame_component(&f)
            .values()
            .into_iter()
            .map(str::to_owned)
            .collect()
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
