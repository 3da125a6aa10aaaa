//! apply's live view on a terminal, as text: a line per finished step (✓ done, · skipped,
//! ✗ failed) and, below them, the running step's line with a spinner, the counter and the time
//! it has taken so far, which the terminal redraws in place.
//!
//! Pure: the state is fed the executor's step events and answers text; the CLI owns the
//! terminal (and the clock, passed in as elapsed time), so every frame is testable.
//!
//! Our own rather than indicatif: the view is one line redrawn with `\r` and "erase line",
//! which is all indicatif would do here, and indicatif would bring its terminal crate and a
//! draw thread of its own for it, while its frames could not be snapshot-tested as plain text.

use std::time::Duration;

use crate::apply::{Outcome, Step};

/// The spinner's frames, one per tick.
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// Where an apply is: how many steps in all, how many finished, and the one running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    total: usize,
    finished: usize,
    running: Option<String>,
}

impl Progress {
    pub fn new(total: usize) -> Self {
        Progress {
            total,
            finished: 0,
            running: None,
        }
    }

    /// A step began.
    pub fn start(&mut self, library: &str, change: &str) {
        self.running = Some(format!("{library}: {change}"));
    }

    /// A step ended: the line that stays on the screen for it.
    pub fn finish(&mut self, step: &Step) -> String {
        self.finished += 1;
        self.running = None;
        let (mark, how) = match &step.outcome {
            Outcome::Done(calls) => ('✓', format!("done ({})", calls.join(", "))),
            Outcome::Skipped(why) => ('·', format!("skipped: {why}")),
            Outcome::Failed(why) => ('✗', format!("FAILED: {why}")),
            Outcome::Waiting(why) => ('…', format!("waiting: {why}")),
        };
        format!(
            "{mark} {} {}: {}: {how}",
            self.counter(self.finished),
            step.library,
            step.change
        )
    }

    /// The running step's line at spinner tick `tick`, `elapsed` after it began, cut to
    /// `width` columns (the name shortened, the time kept) so that redrawing it in place never
    /// leaves a wrapped remnant; empty when no step runs.
    pub fn frame(&self, tick: usize, elapsed: Duration, width: usize) -> String {
        let Some(running) = &self.running else {
            return String::new();
        };
        let head = format!(
            "{} {} {running}",
            SPINNER[tick % SPINNER.len()],
            self.counter(self.finished + 1)
        );
        // The time stays in view: the step's name is what gets cut.
        let time = format!("  {:.1}s", elapsed.as_secs_f64());
        let room = width.saturating_sub(time.chars().count());
        format!("{}{time}", cut(&head, room))
    }

    fn counter(&self, n: usize) -> String {
        let digits = self.total.to_string().len();
        format!("[{n:>digits$}/{}]", self.total)
    }
}

/// `text` in at most `width` characters, ending in `…` when cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(library: &str, change: &str, outcome: Outcome) -> Step {
        Step {
            library: library.into(),
            change: change.into(),
            outcome,
        }
    }

    /// The screen through an apply of three steps across two libraries, one of them failed,
    /// as the terminal would show it after each event (finished lines stay, the running line
    /// is redrawn).
    #[test]
    fn frames_of_an_apply() {
        let mut progress = Progress::new(12);
        let mut screen: Vec<String> = Vec::new();
        let mut frames = String::new();
        let mut show = |screen: &[String], live: String| {
            for line in screen {
                frames.push_str(line);
                frames.push('\n');
            }
            frames.push_str(&live);
            frames.push_str("\n----\n");
        };
        progress.start("springfield", "+ ses-identity springfield.example.org");
        show(&screen, progress.frame(0, Duration::ZERO, 80));
        show(&screen, progress.frame(7, Duration::from_millis(1250), 80));
        screen.push(progress.finish(&step(
            "springfield",
            "+ ses-identity springfield.example.org",
            Outcome::Done(vec![
                "CreateEmailIdentity".into(),
                "PutEmailIdentityMailFromAttributes".into(),
            ]),
        )));
        progress.start(
            "ogdenville",
            "+ domain-registration ogdenville-library-mail.example",
        );
        show(&screen, progress.frame(12, Duration::from_secs(31), 80));
        screen.push(
            progress.finish(&step(
                "ogdenville",
                "+ domain-registration ogdenville-library-mail.example",
                Outcome::Failed(
                    "not bought: buying needs `--allow-purchase ogdenville-library-mail.example`"
                        .into(),
                ),
            )),
        );
        show(&screen, progress.frame(13, Duration::ZERO, 80));
        screen.push(progress.finish(&step(
            "ogdenville",
            "+ ses-identity ogdenville-library-mail.example",
            Outcome::Skipped("not attempted: an earlier step of this library failed".into()),
        )));
        show(&screen, progress.frame(14, Duration::ZERO, 80));
        snapshot("frames_of_an_apply", &frames);
    }

    #[test]
    fn a_long_running_line_is_cut_to_the_width() {
        let mut progress = Progress::new(3);
        progress.start(
            "a-library-with-a-long-name",
            "+ ses-identity a-very-long-domain-name.example.org",
        );
        let frame = progress.frame(0, Duration::from_secs(2), 40);
        assert_eq!(frame.chars().count(), 40);
        assert_eq!(frame, "⠋ [1/3] a-library-with-a-long-nam…  2.0s");
    }

    fn snapshot(name: &str, text: &str) {
        insta::with_settings!({snapshot_path => "../../snapshots/apply", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(name, text);
        });
    }
}
