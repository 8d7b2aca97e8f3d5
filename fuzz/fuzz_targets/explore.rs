//! `dcheck run` on arbitrary spec text, under small limits: every spec that
//! compiles is explored (BFS and DFS, also recording the liveness graph
//! when it has temporal properties) and its report written as text and
//! JSON; nothing panics, aborts or hangs.
#![no_main]

#[path = "common.rs"]
mod common;

use dcheck_engine::{Config, Progress, Strategy};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some((sources, model)) = common::load(text) else {
        return;
    };
    for strategy in [Strategy::Bfs, Strategy::Dfs] {
        let config = Config {
            strategy,
            threads: 1,
            max_states: Some(2_000),
            max_depth: Some(40),
            max_memory: Some(256 << 20),
            ..Config::default()
        };
        let outcome = dcheck_engine::check(&model, &config, &Progress::new());
        let info = dcheck_report::RunInfo {
            spec_path: "fuzz.ron".into(),
            strategy: "bfs",
            threads: 1,
            default_memory: None,
            checkpoint: None,
            resumed: false,
        };
        let _ = dcheck_report::text::summary(&model, &outcome, &info);
        if let dcheck_engine::Verdict::Violation(v) = &outcome.result {
            let _ = dcheck_report::text::counterexample(&model, &sources, v, &info);
        }
        let _ = dcheck_report::json::report(&model, &sources, &outcome, &info, true);
    }
});
