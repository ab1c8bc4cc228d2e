//! The lines of a room or a conversation on screen: only a window of them is in the page
//! (see [`Window`]), moved as the user scrolls, and each line is a component that draws
//! again only when its line changed (a new `Rc` from the reducer), so a new message costs
//! one new element however long the conversation is.

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

use peerchat_chat::rooms_state::Receipt;
use peerchat_chat::state::{days, LineKey, Lines, Window};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// A kind of line the list can show.
pub trait ShowLine: 'static {
    /// The line as a keyed component (`<SomeLine key={key.get()} line={line.clone()} />`).
    fn view(key: LineKey, line: &Rc<Self>) -> Html;

    /// Whether the user wrote it: sending brings the newest lines back on screen.
    fn mine(&self) -> bool;

    /// When it was written, ms since the Unix epoch: a new day gets a separator.
    fn ts(&self) -> u64;
}

/// Props of a line's component: the line, compared by pointer, since the reducer makes a
/// new one only when it changed.
#[derive(Properties)]
pub struct LineProps<T: 'static> {
    /// The line.
    pub line: Rc<T>,
}

impl<T> PartialEq for LineProps<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.line, &other.line)
    }
}

/// A notice line ("Ann joined", "Ben is now called Benjamin"): the name and what happened
/// read as one sentence, with the time.
pub fn notice(name: &str, text: &str, ts: u64) -> Html {
    html! {
        <li class="notice">
            <bdi>{ name.to_owned() }</bdi>{ format!(" {text} · ") }<time>{ crate::platform::local_hh_mm(ts) }</time>
        </li>
    }
}

/// Where one of our messages has got, as a small mark with words for screen readers;
/// `delivered` says what delivered means where it shows.
pub fn receipt(r: Option<Receipt>, delivered: &'static str) -> Html {
    match r {
        None => Html::default(),
        Some(Receipt::Sending) => html! {
            <span class="receipt sending" title="Waiting for the connection">{ "… sending" }</span>
        },
        Some(Receipt::Sent) => html! { <span class="receipt" title="Sent">{ "✓ sent" }</span> },
        Some(Receipt::Delivered) => html! {
            <span class="receipt delivered" title={delivered}>{ "✓✓ delivered" }</span>
        },
    }
}

/// Props of [`LineList`].
#[derive(Properties)]
pub struct LineListProps<T: ShowLine> {
    /// Every line in memory.
    pub lines: Lines<T>,
    /// More lines are stored than in memory.
    pub stored_older: bool,
    /// Loads the stored page before the oldest line.
    pub on_older: Callback<()>,
}

impl<T: ShowLine> PartialEq for LineListProps<T> {
    fn eq(&self, other: &Self) -> bool {
        // The list unchanged is told by pointer, without reading a line.
        self.lines.shares(&other.lines)
            && self.stored_older == other.stored_older
            && self.on_older == other.on_older
    }
}

/// How close to an end of the drawn lines, in pixels, a scroll moves the window on.
const EDGE_PX: i32 = 400;
/// How close to the bottom, in pixels, counts as at the newest line.
const END_PX: i32 = 48;

/// The list, scrolled to the newest line as lines arrive while it follows them.
#[function_component]
pub fn LineList<T: ShowLine>(props: &LineListProps<T>) -> Html {
    let window = use_state_eq(Window::default);
    let list = use_node_ref();
    let lines = &props.lines;
    let last = lines.len().checked_sub(1);
    let newest = last.and_then(|i| lines.key_at(i));
    {
        // The user sent something: back to the newest lines, where it shows.
        let (window, mine) = (
            window.clone(),
            last.and_then(|i| lines.get(i)).is_some_and(T::mine),
        );
        use_effect_with(newest, move |_| {
            if mine {
                window.set(Window::Newest);
            }
        });
    }
    // The app's scrolls to the end: pending from a change of the newest line until the
    // list is scrolled to it (scroll events meanwhile come from the lines changing under
    // the view, not from the user).
    let to_end = {
        let list = list.clone();
        use_memo((), move |()| ToEnd::new(list))
    };
    // The user is at the newest line (or was brought there): new lines keep it in view.
    // Scrolled up, they are counted instead, on the jump button.
    let at_end = use_mut_ref(|| true);
    let away = use_state_eq(|| false);
    // The newest line the user has seen at the bottom, and how many came after it.
    let seen_to = use_mut_ref(|| newest);
    let unseen = use_state_eq(|| 0_usize);
    {
        let at_end = at_end.clone();
        let mine = last.and_then(|i| lines.get(i)).is_some_and(T::mine);
        use_effect_with(newest, move |_| {
            if mine {
                *at_end.borrow_mut() = true;
            }
        });
    }
    {
        // Following: the newest line in view. Older lines coming in above do not move it.
        let (to_end, lines) = (to_end.clone(), lines.clone());
        let (at_end, seen_to, unseen, away) = (
            at_end.clone(),
            seen_to.clone(),
            unseen.clone(),
            away.clone(),
        );
        use_effect_with(
            (newest, *window == Window::Newest),
            move |(newest, following)| {
                if *following && *at_end.borrow() {
                    to_end.ask();
                    *seen_to.borrow_mut() = *newest;
                    unseen.set(0);
                    away.set(false);
                } else {
                    let from = seen_to.borrow().map_or(0, |k| lines.position_after(k));
                    unseen.set(lines.len().saturating_sub(from));
                }
            },
        );
    }
    let onscroll = {
        let (window, lines) = (window.clone(), lines.clone());
        let (to_end, at_end) = (to_end.clone(), at_end.clone());
        let (seen_to, unseen, away) = (seen_to.clone(), unseen.clone(), away.clone());
        Callback::from(move |e: Event| {
            if to_end.end.borrow().pending {
                return;
            }
            let el = e.target_unchecked_into::<web_sys::Element>();
            if *window == Window::Newest && *at_end.borrow() {
                // Lines came or went under a view that follows the newest (a burst, the
                // drawn stretch moving on): the view moved, the user did not. Only a
                // scroll above where the end was put, with the lines as they were, is
                // the user's.
                let (top, height) = {
                    let end = to_end.end.borrow();
                    (end.top, end.height)
                };
                if el.scroll_height() != height {
                    to_end.ask();
                    return;
                }
                if el.scroll_top() >= top - 1 {
                    return;
                }
            }
            let below = el.scroll_height() - el.scroll_top() - el.client_height();
            let end = below < END_PX && *window == Window::Newest;
            *at_end.borrow_mut() = end;
            away.set(!end);
            if end {
                *seen_to.borrow_mut() = newest;
                unseen.set(0);
            }
            if el.scroll_top() < EDGE_PX {
                window.set(window.older(&lines));
            } else if below < EDGE_PX {
                window.set(window.newer(&lines));
            }
        })
    };
    let on_jump = {
        let (window, to_end) = (window.clone(), to_end.clone());
        let (seen_to, unseen, away) = (seen_to.clone(), unseen.clone(), away.clone());
        Callback::from(move |_: MouseEvent| {
            *at_end.borrow_mut() = true;
            *seen_to.borrow_mut() = newest;
            unseen.set(0);
            away.set(false);
            window.set(Window::Newest);
            to_end.ask();
        })
    };
    // The line at the top of the view when older lines were asked for, and how far below
    // the list's top it was: once they are in, it is put back there, so the page comes in
    // above what the user was reading without moving it.
    let anchor = use_mut_ref(|| None::<(web_sys::Element, i32)>);
    {
        let (anchor, list) = (anchor.clone(), list.clone());
        use_effect_with(lines.key_at(0), move |_| {
            let (Some((line, was)), Some(list)) =
                (anchor.borrow_mut().take(), list.cast::<web_sys::Element>())
            else {
                return;
            };
            let moved = offset_in(&line, &list) - was;
            list.set_scroll_top(list.scroll_top() + moved);
        });
    }
    let on_older = {
        let (window, cb, list) = (window.clone(), props.on_older.clone(), list.clone());
        Callback::from(move |_| {
            if let Some(list) = list.cast::<web_sys::Element>() {
                let first = list
                    .query_selector(":scope > li:not(.older):not(.day)")
                    .ok()
                    .flatten();
                *anchor.borrow_mut() = first.map(|line| {
                    let at = offset_in(&line, &list);
                    (line, at)
                });
            }
            // The page goes on top of the lines in memory (all drawn, up to the most).
            window.set(Window::Oldest);
            cb.emit(());
        })
    };
    // The newest line drawn so far: what follows it is drawn at least once (up to the
    // window's most, when that many came since). Moved on by `Drawn` as it draws, not
    // here: Yew may render this list again before `Drawn` renders the stretch asked (it
    // yields to the browser once it has run 16 ms, between any two of its steps but
    // renders, and a child's new props are not a render yet; a line coming meanwhile
    // renders the list first, as the parent), so a stretch asked here may never be drawn.
    let drawn_to = use_mut_ref(|| None::<LineKey>);
    let range = window.range_after(lines, *drawn_to.borrow());
    let older = props.stored_older && range.start == 0;
    let jump_label = match *unseen {
        0 => "Jump to the newest messages".to_owned(),
        1 => "Jump to the newest messages, 1 new".to_owned(),
        n => format!("Jump to the newest messages, {n} new"),
    };
    html! {
        <div class="line-list">
            // Focusable, so the keyboard can scroll it too.
            <ol class="messages" aria-label="Messages" tabindex="0" ref={list} {onscroll}>
                if older {
                    <li class="older">
                        <button type="button" class="secondary" onclick={on_older}>{ "Show older messages" }</button>
                    </li>
                }
                <Drawn<T> lines={lines.clone()} {range} {drawn_to} />
            </ol>
            if *away || *unseen > 0 {
                <button type="button" class="jump" aria-label={jump_label} onclick={on_jump}>
                    <span aria-hidden="true">{ "↓" }</span>
                    if *unseen > 0 { <span class="jump-count">{ *unseen }</span> }
                </button>
            }
        </div>
    }
}

/// Props of [`Drawn`].
#[derive(Properties)]
struct DrawnProps<T: ShowLine> {
    lines: Lines<T>,
    range: Range<usize>,
    /// The list's newest line drawn so far, moved on here once `range` is drawn.
    drawn_to: Rc<RefCell<Option<LineKey>>>,
}

impl<T: ShowLine> PartialEq for DrawnProps<T> {
    fn eq(&self, other: &Self) -> bool {
        // `drawn_to` is the list's one cell throughout.
        self.lines.shares(&other.lines) && self.range == other.range
    }
}

/// The drawn lines, apart from the list around them so that only a change of the lines or
/// of the window goes through them (not a render of the screen for a member or for
/// someone typing); and a keyed list of their own: mixed in one list with the button above (no key), Yew would match
/// them by place from the end, and make every line again whenever one is added.
/// The first line of each local day comes after a separator that names the day (the
/// core decides where days start and what they are called).
#[function_component]
fn Drawn<T: ShowLine>(props: &DrawnProps<T>) -> Html {
    let (now, offset) = (
        crate::platform::wall_ms(),
        crate::platform::local_offset_min(),
    );
    let mut before = props
        .range
        .start
        .checked_sub(1)
        .and_then(|i| props.lines.get(i))
        .map(T::ts);
    let mut drawn = Vec::with_capacity(props.range.len() + 1);
    for (key, line) in props.lines.entries(props.range.clone()) {
        let ts = line.ts();
        if days::starts_day(ts, before, offset) {
            drawn.push(html! {
                <li key={format!("day-{}", key.get())} class="day">
                    <span>{ days::day_label(ts, now, offset) }</span>
                </li>
            });
        }
        before = Some(ts);
        drawn.push(T::view(key, line));
    }
    let through =
        Window::drawn_through(&props.lines, props.range.clone(), *props.drawn_to.borrow());
    *props.drawn_to.borrow_mut() = through;
    drawn.into_iter().collect()
}

/// How far below the top of `list`'s view `line` is, in CSS pixels (both are measured
/// from the list's box, `.line-list`, which is positioned).
fn offset_in(line: &web_sys::Element, list: &web_sys::Element) -> i32 {
    let top = |e: &web_sys::Element| {
        e.dyn_ref::<web_sys::HtmlElement>()
            .map_or(0, web_sys::HtmlElement::offset_top)
    };
    top(line) - top(list) - list.scroll_top()
}

/// The app's own scrolls of the list to its end: one waits for the layout (`pending`), and
/// where the last one left the view (`top`) with the lines as they were (`height`).
#[derive(Debug, Default)]
struct EndScroll {
    pending: bool,
    top: i32,
    height: i32,
}

/// Scrolls the list to its end once the browser has laid out the frame, before it paints.
/// Done at once, or in an animation frame, the scroll makes the browser lay the page out
/// for it (to know how far to scroll), and again for what changes after it in that frame:
/// in a burst, the receipts and lines a frame brings made two layouts a frame (Chrome
/// trace: 296 layouts in 156 frames on the sender, 2 ms each). A `ResizeObserver`
/// reports an element it starts to observe once that element is laid out, in the same
/// frame: there the layout is done, and the scroll costs none. Asks before it cost one.
struct ToEnd {
    list: NodeRef,
    end: Rc<RefCell<EndScroll>>,
    /// None where the browser has no `ResizeObserver`: then the scroll goes at once.
    observer: Option<web_sys::ResizeObserver>,
    _on_laid_out: Closure<dyn FnMut(js_sys::Array, web_sys::ResizeObserver)>,
}

impl ToEnd {
    fn new(list: NodeRef) -> Self {
        let end = Rc::new(RefCell::new(EndScroll::default()));
        let on_laid_out = {
            let (list, end) = (list.clone(), end.clone());
            Closure::<dyn FnMut(js_sys::Array, web_sys::ResizeObserver)>::new(
                move |_, observer: web_sys::ResizeObserver| {
                    let Some(el) = list.cast::<web_sys::Element>() else {
                        // No list to scroll: nothing waits (a later ask may scroll).
                        observer.disconnect();
                        end.borrow_mut().pending = false;
                        return;
                    };
                    if el.client_height() == 0 {
                        // Not shown (browsers report a new observation at once, even
                        // with no size): reported again once it shows, its size changed.
                        return;
                    }
                    // Only the first report was wanted.
                    observer.disconnect();
                    scroll_end(&el, &mut end.borrow_mut());
                },
            )
        };
        let observer = web_sys::ResizeObserver::new(on_laid_out.as_ref().unchecked_ref()).ok();
        Self {
            list,
            end,
            observer,
            _on_laid_out: on_laid_out,
        }
    }

    /// Scrolls to the end after the next layout (a list not shown: once it shows).
    fn ask(&self) {
        if std::mem::replace(&mut self.end.borrow_mut().pending, true) {
            return;
        }
        let Some(el) = self.list.cast::<web_sys::Element>() else {
            self.end.borrow_mut().pending = false;
            return;
        };
        match &self.observer {
            Some(observer) => {
                // Observed anew, it is reported anew.
                observer.disconnect();
                observer.observe(&el);
            }
            None => scroll_end(&el, &mut self.end.borrow_mut()),
        }
    }
}

impl Drop for ToEnd {
    fn drop(&mut self) {
        // No report may come to the closure once it is gone.
        if let Some(observer) = &self.observer {
            observer.disconnect();
        }
    }
}

/// Puts the view at the list's end, and notes where that left it.
fn scroll_end(el: &web_sys::Element, end: &mut EndScroll) {
    end.pending = false;
    el.set_scroll_top(el.scroll_height());
    (end.top, end.height) = (el.scroll_top(), el.scroll_height());
}
