//! `dcheck explore`: a terminal UI to walk a spec's state space by hand,
//! from an initial state or along a saved counterexample.
//!
//! The screen (80x24 is enough; keyboard only, plain ASCII, so it works
//! over SSH): the current state with what the last step changed marked
//! `*`; every transition enabled there, with its parameters and the first
//! thing it would change; the invariants (the failing conjunct of a
//! violated one, with its bindings); the result of the last evaluated
//! expression. Keys: Up/Down pick a transition, Enter takes it, Left goes
//! back a step, Right forward along the walk (a trace, or the steps taken
//! before going back), `g N` Enter jumps to step N, `e EXPR` Enter
//! evaluates an expression in the current state, `i` picks the next
//! initial state (at step 0), PgUp/PgDn scroll the state, `q` quits.
//!
//! [`Explorer`] is the plain state machine (keys in, a screen out), drawn
//! by [`Explorer::draw`] with `ratatui`; [`run`] puts it on a terminal
//! (`crossterm`). Expressions are compiled by the caller (`Eval`), which
//! owns the spec.

use std::io;

use dcheck_model::system::{TransitionId, TransitionSystem, Word};
use dcheck_model::value::Value;
use dcheck_model::Model;
use dcheck_report::diff::changes;
use dcheck_report::text::{span_text, transition_text};
use dcheck_syntax::span::SourceMap;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

/// Evaluates an expression's text in a state: `Ok(value)` or the reason
/// it cannot (a spec error in the expression, or an evaluation error).
pub type Eval<'a> = dyn FnMut(&str, &[Word]) -> Result<String, String> + 'a;

/// One step of the walk: the transition that led to the state (`None` for
/// the initial state) and the state.
pub type Step = (Option<TransitionId>, Vec<Word>);

/// A key, as the explorer reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Up,
    Down,
    Left,
    Right,
    Enter,
    Esc,
    Backspace,
    Home,
    End,
    PageUp,
    PageDown,
    Char(char),
}

/// What the line under the lists is reading.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Input {
    None,
    Jump(String),
    Eval(String),
}

/// The explorer's state (see the module documentation).
pub struct Explorer<'m> {
    model: &'m Model,
    sources: &'m SourceMap,
    sc: <Model as TransitionSystem>::Scratch,
    initial: Vec<Vec<Word>>,
    init_index: usize,
    /// The walk: states from an initial state, and where we are on it.
    walk: Vec<Step>,
    pos: usize,
    /// Steps of `walk` that came from the saved trace (until a step is
    /// taken off it).
    from_trace: usize,
    /// The successors of the current state, in transition order.
    enabled: Vec<(TransitionId, Vec<Word>)>,
    selected: ListState,
    input: Input,
    /// The last message: an evaluation's result, or why a key did nothing.
    message: String,
    scroll: u16,
}

impl<'m> Explorer<'m> {
    /// Starts at the first initial state, or at the start of `trace`.
    pub fn new(
        model: &'m Model,
        sources: &'m SourceMap,
        trace: Option<Vec<Step>>,
    ) -> Result<Explorer<'m>, String> {
        let mut sc = model.scratch();
        let mut initial = Vec::new();
        model
            .initial_states(&mut sc, &mut |s| initial.push(s.to_vec()))
            .map_err(|e| format!("computing the initial states fails: {}", e.error.message))?;
        if initial.is_empty() {
            return Err("the spec has no initial state".into());
        }
        let (walk, from_trace) = match trace {
            Some(t) if !t.is_empty() => {
                let n = t.len();
                (t, n)
            }
            _ => (vec![(None, initial[0].clone())], 0),
        };
        let mut e = Explorer {
            model,
            sources,
            sc,
            initial,
            init_index: 0,
            walk,
            pos: 0,
            from_trace,
            enabled: Vec::new(),
            selected: ListState::default(),
            input: Input::None,
            message: String::new(),
            scroll: 0,
        };
        e.refresh();
        Ok(e)
    }

    /// The current step and the walk's length.
    pub fn position(&self) -> (usize, usize) {
        (self.pos, self.walk.len())
    }

    fn state(&self) -> &[Word] {
        &self.walk[self.pos].1
    }

    /// Recomputes the transitions enabled in the current state.
    fn refresh(&mut self) {
        let state = self.walk[self.pos].1.clone();
        let mut out = Vec::new();
        let r = self
            .model
            .successors(&mut self.sc, &state, |t, next| out.push((t, next.to_vec())));
        if let Err(e) = r {
            self.message = format!("evaluating the successors fails: {}", e.error.message);
        }
        self.enabled = out;
        self.selected
            .select((!self.enabled.is_empty()).then_some(0));
        self.scroll = 0;
    }

    fn go(&mut self, pos: usize) {
        if pos < self.walk.len() && pos != self.pos {
            self.pos = pos;
            self.refresh();
        }
    }

    /// Takes the selected transition: the walk after the current step is
    /// replaced by it.
    fn take(&mut self) {
        let Some(i) = self.selected.selected() else {
            self.message = "no transition is enabled here".into();
            return;
        };
        let (t, next) = self.enabled[i].clone();
        self.walk.truncate(self.pos + 1);
        self.from_trace = self.from_trace.min(self.pos + 1);
        self.walk.push((Some(t), next));
        self.pos += 1;
        self.refresh();
    }

    /// Handles a key; `false` when the explorer should quit.
    pub fn key(&mut self, k: Key, eval: &mut Eval) -> bool {
        if let Input::Jump(text) | Input::Eval(text) = &mut self.input {
            match k {
                Key::Char(c) => {
                    text.push(c);
                    return true;
                }
                Key::Backspace => {
                    text.pop();
                    return true;
                }
                _ => {}
            }
        }
        match std::mem::replace(&mut self.input, Input::None) {
            Input::None => {}
            Input::Jump(text) => {
                if k == Key::Enter {
                    match text.trim().parse::<usize>() {
                        Ok(n) if n < self.walk.len() => {
                            self.go(n);
                            self.message = format!("at step {n}");
                        }
                        _ => {
                            self.message = format!(
                                "no step {} (the walk has steps 0..{})",
                                text.trim(),
                                self.walk.len() - 1
                            )
                        }
                    }
                } else {
                    self.message.clear();
                }
                return true;
            }
            Input::Eval(text) => {
                if k == Key::Enter && !text.trim().is_empty() {
                    let state = self.state().to_vec();
                    self.message = match eval(text.trim(), &state) {
                        Ok(v) => format!("{} = {v}", text.trim()),
                        Err(e) => format!("{}: {e}", text.trim()),
                    };
                } else {
                    self.message.clear();
                }
                return true;
            }
        }
        match k {
            Key::Char('q') | Key::Esc => return false,
            Key::Up => {
                let i = self.selected.selected().unwrap_or(0);
                self.selected
                    .select((!self.enabled.is_empty()).then(|| i.saturating_sub(1)));
            }
            Key::Down => {
                let i = self.selected.selected().unwrap_or(0);
                let last = self.enabled.len().saturating_sub(1);
                self.selected
                    .select((!self.enabled.is_empty()).then(|| (i + 1).min(last)));
            }
            Key::Enter => self.take(),
            Key::Left | Key::Backspace | Key::Char('b') if self.pos > 0 => self.go(self.pos - 1),
            Key::Right | Key::Char('n') => self.go(self.pos + 1),
            Key::Home => self.go(0),
            Key::End => self.go(self.walk.len() - 1),
            Key::PageDown => self.scroll = self.scroll.saturating_add(5),
            Key::PageUp => self.scroll = self.scroll.saturating_sub(5),
            Key::Char('g') => {
                self.input = Input::Jump(String::new());
                self.message = "jump to step: ".into();
            }
            Key::Char('e') => {
                self.input = Input::Eval(String::new());
                self.message = "evaluate: ".into();
            }
            Key::Char('i') => {
                if self.pos == 0 && self.initial.len() > 1 {
                    self.init_index = (self.init_index + 1) % self.initial.len();
                    self.walk = vec![(None, self.initial[self.init_index].clone())];
                    self.from_trace = 0;
                    self.refresh();
                    self.message = format!(
                        "initial state {} of {}",
                        self.init_index + 1,
                        self.initial.len()
                    );
                } else if self.pos == 0 {
                    self.message = "the spec has one initial state".into();
                } else {
                    self.message = "go back to step 0 (Home) to pick another initial state".into();
                }
            }
            _ => {}
        }
        true
    }

    /// The invariants in the current state: the first violated one, with
    /// its failing conjunct and bindings, or that all hold.
    fn invariants(&mut self) -> String {
        let state = self.walk[self.pos].1.clone();
        match self.model.check_invariants(&mut self.sc, &state) {
            Ok(None) => format!("invariants: all {} hold", self.model.invariants.len()),
            Ok(Some(i)) => {
                let name = &self.model.invariants[i as usize].name;
                match self.model.explain(i, &state) {
                    Some(ex) => {
                        let mut s = format!(
                            "invariant {name} VIOLATED: `{}` is false",
                            span_text(self.sources, ex.conjunct)
                        );
                        if !ex.bindings.is_empty() {
                            s += &format!(" for {}", dcheck_report::bindings_text(&ex.bindings));
                        }
                        s
                    }
                    None => format!("invariant {name} VIOLATED"),
                }
            }
            Err(e) => format!("evaluating the invariants fails: {}", e.message),
        }
    }

    /// Draws the screen.
    pub fn draw(&mut self, f: &mut Frame) {
        let area = f.area();
        // The enabled list takes what it needs, up to 8 rows; the state
        // the rest.
        let listed = self.enabled.len().clamp(1, 8) as u16 + 1;
        let [title, state, enabled, status, help] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(5),
            Constraint::Length(listed),
            Constraint::Length(5),
            Constraint::Length(1),
        ])
        .areas(area);
        let (pos, len) = (self.pos, self.walk.len());
        let trace = if self.from_trace > 0 {
            format!(" | trace: steps 0..{}", self.from_trace - 1)
        } else {
            String::new()
        };
        f.render_widget(
            Paragraph::new(format!(
                "dcheck explore: {} | step {pos} of {}{trace}",
                self.model.name,
                len - 1
            ))
            .style(Style::default().add_modifier(Modifier::BOLD)),
            title,
        );

        // The state, changed variables marked.
        let vars = self.model.decode_state(self.state());
        let prev = pos
            .checked_sub(1)
            .map(|p| self.model.decode_state(&self.walk[p].1));
        let mut lines = Vec::new();
        for (k, (n, v)) in vars.iter().enumerate() {
            let changed = prev.as_ref().is_some_and(|p| p[k].1 != *v);
            let mark = if changed { "* " } else { "  " };
            let style = if changed {
                Style::default().add_modifier(Modifier::BOLD)
            } else {
                Style::default()
            };
            lines.push(Line::from(Span::styled(format!("{mark}{n} = {v}"), style)));
        }
        let how = match self.walk[pos].0 {
            None => "initial state".to_string(),
            Some(t) => format!("after {}", transition_text(self.model, t)),
        };
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((self.scroll, 0))
                .block(pane().title(format!(" State {pos}: {how} "))),
            state,
        );

        // The enabled transitions, each with the first thing it changes.
        let items: Vec<ListItem> = self
            .enabled
            .iter()
            .enumerate()
            .map(|(i, (t, next))| {
                let mut diffs = Vec::new();
                for ((n, old), (_, new)) in vars.iter().zip(self.model.decode_state(next)) {
                    changes(n, old, &new, &mut diffs);
                }
                let what = match diffs.first() {
                    None => "  (no change)".to_string(),
                    Some((p, old, new)) => format!("  {p}: {} -> {}", short(old), short(new)),
                };
                ListItem::new(format!(
                    "{:>2} {}{what}",
                    i + 1,
                    transition_text(self.model, *t)
                ))
            })
            .collect();
        let list = List::new(items)
            .block(pane().title(format!(" Enabled ({}) ", self.enabled.len())))
            .highlight_symbol(">")
            .highlight_style(Style::default().add_modifier(Modifier::REVERSED));
        f.render_stateful_widget(list, enabled, &mut self.selected);

        let inv = self.invariants();
        let input = match &self.input {
            Input::None => self.message.clone(),
            Input::Jump(t) => format!("jump to step: {t}_"),
            Input::Eval(t) => format!("evaluate: {t}_"),
        };
        f.render_widget(
            Paragraph::new(vec![Line::from(input), Line::from(inv)])
                .wrap(Wrap { trim: false })
                .block(pane()),
            status,
        );
        f.render_widget(
            Paragraph::new("Up/Dn pick Enter step Left back Right fwd g jump e eval i init q quit"),
            help,
        );
    }
}

/// Plain ASCII rules between the panes (box-drawing characters do not
/// survive every SSH client and terminal font).
const ASCII: ratatui::symbols::border::Set = ratatui::symbols::border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

/// A pane with a rule (and title) on top.
fn pane<'a>() -> Block<'a> {
    Block::default().borders(Borders::TOP).border_set(ASCII)
}

/// A value cut to 24 characters for the enabled list.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= 24 {
        s
    } else {
        s.chars().take(21).collect::<String>() + "..."
    }
}

/// Runs the explorer on the terminal until `q`.
pub fn run(mut explorer: Explorer, eval: &mut Eval) -> io::Result<()> {
    use crossterm::event::{self, Event, KeyCode, KeyEventKind};
    let mut terminal = ratatui::init();
    let result = (|| -> io::Result<()> {
        loop {
            terminal.draw(|f| explorer.draw(f))?;
            let Event::Key(k) = event::read()? else {
                continue;
            };
            if k.kind != KeyEventKind::Press {
                continue;
            }
            let key = match k.code {
                KeyCode::Up => Key::Up,
                KeyCode::Down => Key::Down,
                KeyCode::Left => Key::Left,
                KeyCode::Right => Key::Right,
                KeyCode::Enter => Key::Enter,
                KeyCode::Esc => Key::Esc,
                KeyCode::Backspace => Key::Backspace,
                KeyCode::Home => Key::Home,
                KeyCode::End => Key::End,
                KeyCode::PageUp => Key::PageUp,
                KeyCode::PageDown => Key::PageDown,
                KeyCode::Char(c) => Key::Char(c),
                _ => continue,
            };
            if !explorer.key(key, eval) {
                return Ok(());
            }
        }
    })();
    ratatui::restore();
    result
}
