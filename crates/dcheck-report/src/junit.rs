//! The JUnit XML report of `dcheck run --junit FILE`: one `<testsuite
//! name="dcheck">` with one `<testcase>` per spec, for CI systems that show
//! test results. Written with `quick-xml`, which escapes text and
//! attributes.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

/// How the check of one spec ended, as JUnit sees it.
#[derive(Clone, Debug)]
pub enum CaseResult {
    /// Every property holds (exit 0).
    Passed,
    /// A violation (`kind` is `invariant`, `deadlock`, `liveness`,
    /// `evaluation`) or an incomplete search (`kind` is `incomplete`):
    /// `<failure type="kind" message="...">text</failure>`.
    Failure {
        kind: String,
        message: String,
        text: String,
    },
    /// The spec could not be checked (a spec or usage error):
    /// `<error type="spec" message="...">text</error>`.
    Error { message: String, text: String },
}

/// One `<testcase>`.
#[derive(Clone, Debug)]
pub struct Case {
    /// The spec's path (`classname`).
    pub classname: String,
    /// The spec's name (`name`).
    pub name: String,
    /// Wall time of loading and checking the spec.
    pub seconds: f64,
    pub result: CaseResult,
}

/// Removes what XML 1.0 cannot hold (control characters other than tab,
/// newline and carriage return), which escaping cannot fix.
fn xml_chars(s: &str) -> String {
    s.chars()
        .filter(|&c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

fn secs(t: f64) -> String {
    format!("{t:.3}")
}

/// The JUnit XML document for `cases`.
pub fn report(cases: &[Case]) -> String {
    let failures = cases
        .iter()
        .filter(|c| matches!(c.result, CaseResult::Failure { .. }))
        .count();
    let errors = cases
        .iter()
        .filter(|c| matches!(c.result, CaseResult::Error { .. }))
        .count();
    let total: f64 = cases.iter().map(|c| c.seconds).sum();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail.
    let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    let tests = cases.len().to_string();
    let failures = failures.to_string();
    let errors = errors.to_string();
    let time = secs(total);
    let suite = BytesStart::new("testsuite").with_attributes([
        ("name", "dcheck"),
        ("tests", tests.as_str()),
        ("failures", failures.as_str()),
        ("errors", errors.as_str()),
        ("skipped", "0"),
        ("time", time.as_str()),
    ]);
    let _ = w.write_event(Event::Start(suite));
    for c in cases {
        let classname = xml_chars(&c.classname);
        let name = xml_chars(&c.name);
        let time = secs(c.seconds);
        let case = BytesStart::new("testcase").with_attributes([
            ("classname", classname.as_str()),
            ("name", name.as_str()),
            ("time", time.as_str()),
        ]);
        let (tag, kind, message, text) = match &c.result {
            CaseResult::Passed => {
                let _ = w.write_event(Event::Empty(case));
                continue;
            }
            CaseResult::Failure {
                kind,
                message,
                text,
            } => ("failure", kind.as_str(), message, text),
            CaseResult::Error { message, text } => ("error", "spec", message, text),
        };
        let _ = w.write_event(Event::Start(case));
        let message = xml_chars(message);
        let inner =
            BytesStart::new(tag).with_attributes([("type", kind), ("message", message.as_str())]);
        let _ = w.write_event(Event::Start(inner));
        let text = xml_chars(text);
        let _ = w.write_event(Event::Text(BytesText::new(&text)));
        let _ = w.write_event(Event::End(BytesEnd::new(tag)));
        let _ = w.write_event(Event::End(BytesEnd::new("testcase")));
    }
    let _ = w.write_event(Event::End(BytesEnd::new("testsuite")));
    let mut out = String::from_utf8(w.into_inner()).unwrap_or_default();
    out.push('\n');
    out
}
