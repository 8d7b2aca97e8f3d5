//! The pipeline the fuzz targets drive, as `dcheck run` does it: load the
//! spec text, lower it, compile it, rendering every diagnostic (rendering
//! is where long lines once panicked).

use dcheck_model::Model;
use dcheck_syntax::span::SourceMap;

/// The model of `text`, or `None` when it has problems (rendered, then
/// dropped).
pub fn load(text: &str) -> Option<(SourceMap, Model)> {
    let (sources, spec) = match dcheck_syntax::load_spec_str("fuzz.ron", text) {
        Ok(x) => x,
        Err((sources, diags)) => {
            let _ = dcheck_syntax::render(&sources, &diags, false);
            return None;
        }
    };
    let spec = match dcheck_net::lower(spec, &dcheck_net::Flags::default()) {
        Ok(s) => s,
        Err(e) => {
            let _ = dcheck_syntax::render(&sources, &e.diagnostics, false);
            return None;
        }
    };
    match dcheck_model::compile(&spec, &[]) {
        Ok(model) => {
            let _ = dcheck_syntax::render(&sources, &model.warnings, false);
            Some((sources, model))
        }
        Err(e) => {
            let _ = dcheck_syntax::render(&sources, &e.diagnostics, false);
            None
        }
    }
}
