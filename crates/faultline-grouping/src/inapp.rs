//! Built-in stack-trace rules (§4.4, §4.11): which frames are library code (`-app`) and which
//! never take part in grouping (`-group`).
//!
//! Precedence, highest first:
//! 1. `-group` rules always apply, whatever `in_app` says: the Sentry SDKs' own frames
//!    (`io.sentry.*`, the Rust `sentry*` crates), Node internals (`node:*`, `internal/*`, the event
//!    loop and module loader), JS helper libraries (`@babel/`, `core-js/`,
//!    `regenerator-runtime/`, `tslib/`), and the Rust panic machinery together with every frame
//!    after it toward the crash. Such frames contribute to neither variant (and are out of app).
//! 2. Path rules (`**/site-packages/**`, `**/dist-packages/**`, `**/node_modules/**`,
//!    `**/vendor/**`, `**/go/pkg/mod/**`, unpkg/cdnjs/jsdelivr URLs) mark a frame out of app
//!    **even when the SDK said `in_app: true`**: a file inside a package manager's directory is
//!    library code, and some SDKs flag such frames in-app (sentry-go marks `go/pkg/mod` frames
//!    in-app; the browser SDK marks every http(s) frame in-app).
//! 3. Otherwise the SDK's explicit `in_app` (true or false) wins.
//! 4. When the SDK left `in_app` unset, module/function rules (JVM framework packages such as
//!    `org.springframework.*`, `org.apache.*`, `java.*`, `sun.*`, `kotlin.*`; Rust `std::`,
//!    `core::`, `alloc::`) mark the frame out of app. A frame that no rule matches stays unset,
//!    and unset counts as **not** in-app for the app variant.
//!
//! Difference from Sentry: Sentry lets its built-in module rules override an SDK's
//! `in_app: true` too; we respect the SDK there, because JVM SDKs only set `true` from the
//! project's explicit in-app package list (e.g. an app living under `org.springframework.samples`).
//! No built-in rule ever promotes a frame into the app (`+app` is left to project rules).

use crate::event::{is_jvm, Family};
use crate::frame::Frame;

/// Path segments that mark package-manager directories.
const LIBRARY_DIRS: &[&str] = &["site-packages", "dist-packages", "node_modules", "vendor"];

/// URL prefixes of CDN hosts that only serve third-party code (unpkg, cdnjs, jsDelivr).
const CDN_PREFIXES: &[&str] = &[
    "https://unpkg.com/",
    "http://unpkg.com/",
    "https://cdnjs.cloudflare.com/",
    "http://cdnjs.cloudflare.com/",
    "https://cdn.jsdelivr.net/",
    "http://cdn.jsdelivr.net/",
];

/// JVM packages that are frameworks or the runtime (`-app`).
const JVM_FRAMEWORKS: &[&str] = &[
    "java.",
    "javax.",
    "jakarta.",
    "jdk.",
    "sun.",
    "com.sun.",
    "kotlin.",
    "kotlinx.",
    "scala.",
    "groovy.",
    "org.codehaus.groovy.",
    "clojure.",
    "android.",
    "androidx.",
    "dalvik.",
    "com.android.",
    "org.springframework.",
    "org.apache.",
    "org.hibernate.",
    "org.eclipse.jetty.",
    "io.netty.",
    "io.undertow.",
    "org.jboss.",
    "org.glassfish.",
    "com.fasterxml.",
    "com.google.",
    "reactor.",
    "io.reactivex.",
    "rx.",
    "okhttp3.",
    "okio.",
    "retrofit2.",
    "org.junit.",
    "junit.",
    "org.gradle.",
    "io.micrometer.",
    "io.grpc.",
    "net.bytebuddy.",
    "org.mockito.",
];

/// JVM packages of the Sentry SDK itself (`-app -group`).
const JVM_SDK: &[&str] = &["io.sentry."];

/// Node internals (`-app -group`): functions of the event loop and module loader.
const NODE_INTERNAL_FUNCTIONS: &[&str] = &[
    "processTicksAndRejections",
    "process.processTicksAndRejections",
    "runMicrotasks",
    "listOnTimeout",
    "processTimers",
    "process._tickCallback",
    "_tickCallback",
    "Module._compile",
    "Module._extensions..js",
    "Module.load",
    "Module._load",
    "Function.Module._load",
    "Function.executeUserEntryPoint",
    "executeUserEntryPoint",
    "Function.executeUserEntryPoint [as runMain]",
    "node:internal/main/run_main_module",
];

/// JavaScript helper libraries injected by compilers (`-app -group`).
const JS_HELPER_LIBS: &[&str] = &["@babel/", "core-js/", "regenerator-runtime/", "tslib/"];

/// Rust library prefixes (`-app`).
const RUST_LIB_PREFIXES: &[&str] = &[
    "std::",
    "core::",
    "alloc::",
    "<std::",
    "<core::",
    "<alloc::",
    "__rust",
    "backtrace::",
    "<backtrace::",
    "tokio::",
    "<tokio::",
    "futures::",
    "<futures",
];

/// Rust Sentry SDK prefixes (`-app -group`).
const RUST_SDK_PREFIXES: &[&str] = &["sentry::", "sentry_", "<sentry::", "<sentry_"];

/// Rust panic machinery: the frame and every frame after it (toward the crash) are
/// `-app -group` (`^-app -app ^-group -group`).
const RUST_PANIC_PREFIXES: &[&str] = &[
    "std::panicking::",
    "core::panicking::",
    "rust_begin_unwind",
    "core::result::unwrap_failed",
    "core::option::expect_failed",
    "core::option::unwrap_failed",
    "std::rt::begin_panic",
];

/// Applies the built-in rules to a stack's frames (oldest → newest), in place.
pub(crate) fn apply_builtin_rules(frames: &mut [Frame<'_>]) {
    let mut after_panic = false;
    for frame in frames.iter_mut() {
        let function = frame.function.or(frame.raw_function).unwrap_or("");
        if !after_panic && RUST_PANIC_PREFIXES.iter().any(|p| function.starts_with(p)) {
            after_panic = true;
        }
        let no_group = after_panic || excluded_from_grouping(frame, function);
        if no_group {
            frame.group = false;
        }
        // `-group` rules and path rules override the SDK; module/function rules only fill in
        // a flag the SDK left unset.
        let overrides_sdk = no_group || path_is_library(frame);
        let fills_unset = frame.sdk_in_app.is_none() && module_is_library(frame, function);
        if overrides_sdk || fills_unset {
            frame.in_app = false;
        }
    }
}

fn excluded_from_grouping(frame: &Frame<'_>, function: &str) -> bool {
    if let Some(module) = frame.module {
        if is_jvm(frame.platform) && JVM_SDK.iter().any(|p| module.starts_with(p)) {
            return true;
        }
    }
    if RUST_SDK_PREFIXES.iter().any(|p| function.starts_with(p)) {
        return true;
    }
    if frame.family() == Family::JavaScript {
        let node_internal_path = [frame.abs_path, frame.filename]
            .into_iter()
            .flatten()
            .any(|p| p.starts_with("node:") || p.starts_with("internal/"));
        if node_internal_path || NODE_INTERNAL_FUNCTIONS.contains(&function) {
            return true;
        }
        if frame.module.is_some_and(is_js_helper)
            || [frame.abs_path, frame.filename]
                .into_iter()
                .flatten()
                .any(is_js_helper)
        {
            return true;
        }
    }
    false
}

/// True for a JavaScript helper library path or module: `tslib/…`, `…/node_modules/tslib/…`.
fn is_js_helper(s: &str) -> bool {
    let starts_with_lib = |s: &str| JS_HELPER_LIBS.iter().any(|lib| s.starts_with(lib));
    starts_with_lib(s)
        || s.match_indices('/').any(|(i, _)| {
            s.get(i..)
                .and_then(|rest| rest.strip_prefix("/node_modules/"))
                .is_some_and(starts_with_lib)
        })
}

/// True when the frame's path lies in a package-manager directory or on a library CDN.
pub(crate) fn path_is_library(frame: &Frame<'_>) -> bool {
    [frame.abs_path, frame.filename]
        .into_iter()
        .flatten()
        .any(is_library_path)
}

/// Paths are compared with `\` read as `/` and ASCII letters in lower case.
fn is_library_path(path: &str) -> bool {
    if CDN_PREFIXES.iter().any(|p| path_starts_with(path, p))
        || path_starts_with(path, "go/pkg/mod/")
    {
        return true;
    }
    // One pass over the separators: each ends a directory segment (every segment but the last,
    // the file name) and may start `/go/pkg/mod/`.
    let bytes = path.as_bytes();
    let mut segment_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'/' && b != b'\\' {
            continue;
        }
        let segment = bytes.get(segment_start..i).unwrap_or_default();
        if LIBRARY_DIRS
            .iter()
            .any(|dir| segment.eq_ignore_ascii_case(dir.as_bytes()))
        {
            return true;
        }
        if bytes
            .get(i..)
            .is_some_and(|rest| path_prefix_eq(rest, b"/go/pkg/mod/"))
        {
            return true;
        }
        segment_start = i + 1;
    }
    false
}

/// A path byte as compared: `\` as `/`, ASCII letters in lower case.
fn fold(b: u8) -> u8 {
    if b == b'\\' {
        b'/'
    } else {
        b.to_ascii_lowercase()
    }
}

/// True when `bytes` starts with `prefix`, compared as paths.
fn path_prefix_eq(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes
        .get(..prefix.len())
        .is_some_and(|head| head.iter().zip(prefix).all(|(x, y)| fold(*x) == fold(*y)))
}

fn path_starts_with(path: &str, prefix: &str) -> bool {
    path_prefix_eq(path.as_bytes(), prefix.as_bytes())
}

fn module_is_library(frame: &Frame<'_>, function: &str) -> bool {
    if is_jvm(frame.platform) {
        if let Some(module) = frame.module {
            return JVM_FRAMEWORKS
                .iter()
                .chain(JVM_SDK)
                .any(|p| module.starts_with(p));
        }
    }
    RUST_LIB_PREFIXES.iter().any(|p| function.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn run(frames: Value, platform: &str) -> Vec<(bool, bool)> {
        let list: Vec<_> = frames
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .collect();
        let mut parsed: Vec<Frame> = list
            .into_iter()
            .map(|f| Frame::parse(f, platform))
            .collect();
        apply_builtin_rules(&mut parsed);
        parsed.iter().map(|f| (f.in_app, f.group)).collect()
    }

    #[test]
    fn library_paths_override_sdk() {
        let r = run(
            json!([
                {"abs_path": "/usr/lib/python3/site-packages/django/core.py", "in_app": true},
                {"abs_path": "/home/u/go/pkg/mod/github.com/lib/pq@v1.10.9/conn.go", "in_app": true},
                {"abs_path": "/app/main.py", "in_app": true},
                {"abs_path": "/app/util.py"}
            ]),
            "python",
        );
        assert_eq!(
            r,
            [(false, true), (false, true), (true, true), (false, true)]
        );
    }

    #[test]
    fn sdk_flag_wins_for_module_rules() {
        let r = run(
            json!([
                {"module": "org.springframework.web.Servlet", "function": "service"},
                {"module": "org.springframework.samples.App", "function": "run", "in_app": true},
                {"module": "io.sentry.SentryClient", "function": "capture", "in_app": true}
            ]),
            "java",
        );
        assert_eq!(r, [(false, true), (true, true), (false, false)]);
    }

    #[test]
    fn rust_panic_machinery_and_after() {
        let r = run(
            json!([
                {"function": "myapp::main", "in_app": true},
                {"function": "std::panicking::begin_panic"},
                {"function": "sentry_panic::panic_handler", "in_app": true}
            ]),
            "native",
        );
        assert_eq!(r, [(true, true), (false, false), (false, false)]);
    }

    #[test]
    fn node_internals() {
        let r = run(
            json!([
                {"filename": "node:internal/modules/cjs/loader", "function": "Module._compile", "in_app": false},
                {"filename": "/app/x.js", "function": "f", "in_app": true}
            ]),
            "node",
        );
        assert_eq!(r, [(false, false), (true, true)]);
    }
}
