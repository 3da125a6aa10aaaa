//! The terminal rendering of diagnostics: miette's graphical report with source snippets.
//!
//! Without colour (not a terminal, `NO_COLOR`, `--color never`) the output is plain Unicode at
//! a fixed width, which is what the snapshot tests see.

use std::io::IsTerminal;

use miette::{GraphicalReportHandler, GraphicalTheme};

use crate::diagnostic::Diagnostic;
use crate::render::diagnostics::{MietteView, defuse_log_text, visible};
use crate::source::SourceSet;

/// Width used when stderr is not a terminal, so output does not depend on the machine.
const FIXED_WIDTH: usize = 100;

pub fn render(sources: &SourceSet, diagnostics: &[Diagnostic], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let width = if std::io::stderr().is_terminal() {
        terminal_width().unwrap_or(FIXED_WIDTH)
    } else {
        FIXED_WIDTH
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false)
        .with_context_lines(1);
    let mut out = String::new();
    for d in diagnostics {
        let view = MietteView::new(sources, d);
        if handler.render_report(&mut out, &view).is_err() {
            out.push_str(&format!("{}: {}\n", d.code, visible(&d.message)));
        }
        out.push('\n');
    }
    // Snippets and messages carry text from the files, and this goes to CI logs.
    defuse_log_text(&out).into_owned()
}

fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
}
