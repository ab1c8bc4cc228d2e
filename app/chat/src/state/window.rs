//! Which lines of a room or a conversation are drawn: the newest hundred or so, or, once
//! the user scrolls up, the stretch they scroll through, never more than [`MOST`]. A
//! conversation of 10,000 lines then costs the page what one of 150 does; lines leave the
//! page as the user scrolls away from them and come back when they scroll back.
//!
//! The window moves in steps of [`STEP`] lines, not line by line: while new lines arrive
//! only the end of the list changes, which the page patches cheaply, and a line's element
//! is not thrown away and made again with every message.

use std::ops::Range;

use super::lines::{LineKey, Lines};

/// Lines drawn at least while the window follows the newest (when there are that many).
pub const SHOWN: usize = 100;
/// How many lines the window moves by.
pub const STEP: usize = 50;
/// The most lines drawn at once.
pub const MOST: usize = 200;
/// The most drawn at once while following the newest, when more than [`MOST`] came
/// since the page last drew (a busy page: in an 8-member room sending 500 messages, one
/// page drew nothing for 430 ms while 211 lines came, and the oldest 11 were never on
/// screen unless scrolled back to).
pub const CATCH_UP: usize = 4 * MOST;

/// Where the drawn stretch of a list of lines is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Window {
    /// The newest lines: the screen follows what arrives.
    #[default]
    Newest,
    /// From this line on (the user scrolled up to it).
    From(LineKey),
    /// From the oldest line on: the user asked for older stored lines, which go on top.
    Oldest,
}

impl Window {
    /// The indices of the lines to draw.
    pub fn range<T>(self, lines: &Lines<T>) -> Range<usize> {
        let len = lines.len();
        let follow = follow_start(len);
        let start = match self {
            Window::Newest => return follow..len,
            Window::From(key) => lines.position(key).min(follow),
            Window::Oldest => 0,
        };
        start..len.min(start + MOST)
    }

    /// [`Window::range`], except that while following the newest it does not pass over
    /// lines never drawn: `drawn_to` is the newest line drawn so far (see
    /// [`Window::drawn_through`]), and lines after it (that came in one batch larger than
    /// the window, or while the user read further up) are each drawn once (up to
    /// [`CATCH_UP`]), rather than only being there to scroll back to.
    pub fn range_after<T>(self, lines: &Lines<T>, drawn_to: Option<LineKey>) -> Range<usize> {
        let range = self.range(lines);
        match (self, drawn_to) {
            (Window::Newest, Some(key)) => {
                let first_new = lines.position_after(key);
                let start = range
                    .start
                    .min(first_new)
                    .max(lines.len().saturating_sub(CATCH_UP));
                start..range.end
            }
            _ => range,
        }
    }

    /// The newest line drawn once `range` (from [`Window::range_after`]) is drawn, given
    /// `before`, the newest drawn until then: the later of the two. Not the newest line
    /// in the list: lines that come while the user reads further up are not drawn, and
    /// must still be drawn once when the window follows the newest again.
    pub fn drawn_through<T>(
        lines: &Lines<T>,
        range: Range<usize>,
        before: Option<LineKey>,
    ) -> Option<LineKey> {
        let last = if range.is_empty() {
            None
        } else {
            lines.key_at(range.end - 1)
        };
        before.max(last)
    }

    /// Whether lines before the drawn ones are in the list.
    pub fn hides_older<T>(self, lines: &Lines<T>) -> bool {
        self.range(lines).start > 0
    }

    /// The window once the user reached the top of what is drawn: [`STEP`] older lines
    /// more (and as many fewer at the bottom past [`MOST`]).
    pub fn older<T>(self, lines: &Lines<T>) -> Self {
        let start = self.range(lines).start;
        match lines.key_at(start.saturating_sub(STEP)) {
            Some(key) if start > 0 => Window::From(key),
            _ => self,
        }
    }

    /// The window once the user reached the bottom of what is drawn: [`STEP`] newer lines
    /// more, and following the newest again once they are all drawn.
    pub fn newer<T>(self, lines: &Lines<T>) -> Self {
        let range = self.range(lines);
        if self == Window::Newest || range.end == lines.len() {
            return Window::Newest;
        }
        let start = range.start + STEP;
        match lines.key_at(start) {
            Some(key) if start < follow_start(lines.len()) => Window::From(key),
            _ => Window::Newest,
        }
    }
}

/// Where the drawn lines start while following the newest: a multiple of [`STEP`], so
/// that it moves only every [`STEP`] lines, leaving [`SHOWN`] to `SHOWN + STEP - 1` drawn.
fn follow_start(len: usize) -> usize {
    len.saturating_sub(SHOWN) / STEP * STEP
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::lines::Identity;

    #[derive(Debug, Clone, PartialEq)]
    struct N(usize);

    impl Identity for N {
        type Id = usize;
        fn identity(&self) -> Option<usize> {
            Some(self.0)
        }
    }

    fn lines(n: usize) -> Lines<N> {
        (0..n).map(N).collect()
    }

    #[test]
    fn following_draws_the_newest_and_moves_in_steps() {
        assert_eq!(Window::Newest.range(&lines(40)), 0..40);
        assert_eq!(Window::Newest.range(&lines(149)), 0..149);
        assert_eq!(Window::Newest.range(&lines(150)), 50..150);
        assert_eq!(Window::Newest.range(&lines(10_000)), 9_900..10_000);
        assert!(!Window::Newest.hides_older(&lines(149)));
        assert!(Window::Newest.hides_older(&lines(150)));
    }

    #[test]
    fn scrolling_up_brings_older_lines_back_and_down_lets_them_go() {
        let mut l = lines(10_000);
        let mut w = Window::Newest;
        let mut drawn = w.range(&l);
        while w.hides_older(&l) {
            w = w.older(&l);
            let now = w.range(&l);
            assert!(now.start < drawn.start, "older lines come back");
            assert!(now.len() <= MOST, "{now:?}");
            drawn = now;
        }
        assert_eq!(drawn, 0..MOST);
        assert_eq!(w.older(&l), w, "nothing older");
        // A new line while the user reads at the top: not drawn, and the top stays.
        l.push(N(10_000));
        assert_eq!(w.range(&l), 0..MOST);
        let mut steps = 0;
        while w != Window::Newest {
            w = w.newer(&l);
            let now = w.range(&l);
            assert!(now.start >= drawn.start && now.end >= drawn.end);
            assert!(now.len() <= MOST, "{now:?}");
            drawn = now;
            steps += 1;
        }
        assert!(steps > 100);
        assert_eq!(drawn, 9_900..10_001);
    }

    #[test]
    fn a_batch_larger_than_the_window_is_drawn_once_whole() {
        let mut l = lines(87);
        let drawn_to = l.key_at(86);
        l.prepend((1000..1010).map(N));
        for n in 87..209 {
            l.push(N(n));
        }
        assert_eq!(
            Window::Newest.range(&l),
            100..219,
            "would pass over 97..100"
        );
        assert_eq!(Window::Newest.range_after(&l, drawn_to), 97..219);
        let newest = l.key_at(218);
        assert_eq!(Window::Newest.range_after(&l, newest), 100..219);
        // A busy page drew nothing while 391 lines came: all are drawn once.
        for n in 209..600 {
            l.push(N(n));
        }
        assert_eq!(Window::Newest.range_after(&l, newest), 219..610);
        for n in 600..2_000 {
            l.push(N(n));
        }
        let len = l.len();
        assert_eq!(
            Window::Newest.range_after(&l, newest),
            len - CATCH_UP..len,
            "never more than CATCH_UP"
        );
        let w = Window::From(l.key_at(5).unwrap());
        assert_eq!(w.range_after(&l, drawn_to), w.range(&l));
    }

    #[test]
    fn lines_that_come_while_reading_further_up_are_drawn_once_back_at_the_newest() {
        let mut l = lines(300);
        let mut drawn_to = None;
        let mut draw = |w: Window, l: &Lines<N>| {
            let range = w.range_after(l, drawn_to);
            drawn_to = Window::drawn_through(l, range.clone(), drawn_to);
            range
        };
        assert_eq!(draw(Window::Newest, &l), 200..300);
        // The user scrolls up; 200 lines come meanwhile, the window grows to its most.
        let up = Window::Newest.older(&l);
        assert_eq!(draw(up, &l), 150..300);
        for n in 300..500 {
            l.push(N(n));
            assert_eq!(draw(up, &l), 150..(n + 1).min(350), "where they read");
        }
        // They send (or jump): back at the newest, the 50 never drawn are drawn too.
        assert_eq!(draw(Window::Newest, &l), 350..500);
        assert_eq!(draw(Window::Newest, &l), 400..500, "then the usual window");
        assert_eq!(Window::drawn_through(&l, 0..0, None), None);
    }

    #[test]
    fn older_lines_put_on_top_show_at_once_after_asking_for_them() {
        let mut l = lines(30);
        l.prepend((100..150).map(N));
        assert_eq!(Window::Oldest.range(&l), 0..80);
        assert_eq!(Window::Oldest.newer(&l), Window::Newest, "all drawn");
        let mut long = lines(300);
        long.prepend((1000..1050).map(N));
        assert_eq!(Window::Oldest.range(&long), 0..MOST);
        // The key of a line stays with it when lines are put in front.
        let w = Window::Oldest.newer(&long);
        let key = long.key_at(STEP).unwrap();
        assert_eq!(w, Window::From(key));
        long.prepend((2000..2010).map(N));
        assert_eq!(w.range(&long), STEP + 10..STEP + 10 + MOST);
    }
}
