//! The live progress display: an indicatif spinner fed by polling the
//! engine's atomic counters from a side thread. Shown only on a terminal.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use dcheck_engine::Progress;
use indicatif::{ProgressBar, ProgressStyle};

/// Runs `work` while drawing progress from `progress` on stderr.
pub fn with_progress<T: Send>(
    progress: &Progress,
    show: bool,
    work: impl FnOnce() -> T + Send,
) -> T {
    if !show {
        return work();
    }
    std::thread::scope(|s| {
        let handle = s.spawn(work);
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        let start = Instant::now();
        while !handle.is_finished() {
            let distinct = progress.distinct.load(Ordering::Relaxed);
            let secs = start.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "{distinct} distinct, {} queued, depth {}, {:.0} states/s{}",
                progress.queue.load(Ordering::Relaxed),
                progress.depth.load(Ordering::Relaxed),
                distinct as f64 / secs,
                match progress.on_disk.load(Ordering::Relaxed) {
                    true => ", store on disk",
                    false => "",
                }
            ));
            bar.tick();
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.finish_and_clear();
        match handle.join() {
            Ok(v) => v,
            Err(e) => std::panic::resume_unwind(e),
        }
    })
}
