//! A chat's info sheet: what a chat holds besides its messages (members, invite, history,
//! leaving, connection details), one tap away from the conversation. Beside the
//! conversation on a wide screen, over it on a phone.

use std::rc::Rc;

use yew::prelude::*;

/// Props of [`InfoSheet`].
#[derive(Properties, PartialEq)]
pub struct InfoSheetProps {
    /// Its id (the info button controls it).
    pub id: AttrValue,
    /// Its heading ("Room info").
    pub title: AttrValue,
    /// Shown now.
    pub open: bool,
    /// Closes it.
    pub on_close: Callback<()>,
    /// What it holds.
    pub children: Html,
}

/// The sheet, kept in the page while closed (hidden), so what it holds keeps its state.
#[function_component]
pub fn InfoSheet(props: &InfoSheetProps) -> Html {
    let on_close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <aside id={props.id.clone()} class="info-sheet" hidden={!props.open} aria-label={props.title.clone()}>
            <header class="sheet-bar">
                <h3>{ props.title.clone() }</h3>
                <button type="button" class="icon" aria-label="Close info" onclick={on_close}>
                    <span aria-hidden="true">{ "×" }</span>
                </button>
            </header>
            { props.children.clone() }
        </aside>
    }
}

/// Whether an info sheet is open, and for which chat it was last opened.
#[derive(PartialEq)]
struct Open {
    now: bool,
    /// The chat it was last opened for: the screen of one chat is drawn again for the
    /// next one picked (the same view), and what the sheet holds is drawn per chat.
    opened_for: Option<AttrValue>,
}

/// What its buttons do.
enum Sheet {
    /// Opens it (for that chat), or closes it.
    Toggle(AttrValue),
    Close,
}

impl Reducible for Open {
    type Action = Sheet;

    fn reduce(self: Rc<Self>, action: Sheet) -> Rc<Self> {
        let (now, opened_for) = match action {
            Sheet::Toggle(chat) if !self.now => (true, Some(chat)),
            Sheet::Toggle(_) | Sheet::Close => (false, self.opened_for.clone()),
        };
        Rc::new(Open { now, opened_for })
    }
}

/// A chat's info sheet as its screen draws it (see [`use_info_sheet`]).
pub struct SheetState {
    /// Open now.
    pub open: bool,
    /// Open, or opened for this chat since its screen came up: what only the sheet
    /// shows need not be drawn before (then it stays, keeping its state while closed).
    pub drawn: bool,
    /// Opens or closes it (the info button).
    pub on_toggle: Callback<()>,
    /// Closes it.
    pub on_close: Callback<()>,
}

/// Whether the info sheet of `chat` (a key naming the chat on screen) is open, with
/// the callbacks that toggle and close it: the same ones for as long as the chat is on
/// screen, so its bar and sheet are not drawn again for their sake when a message
/// comes. An open sheet stays open when another chat is picked.
#[hook]
pub fn use_info_sheet(chat: AttrValue) -> SheetState {
    let open = use_reducer_eq(|| Open {
        now: false,
        opened_for: None,
    });
    let buttons = use_memo((open.dispatcher(), chat.clone()), |(d, chat)| {
        let (toggle, close, chat) = (d.clone(), d.clone(), chat.clone());
        (
            Callback::from(move |()| toggle.dispatch(Sheet::Toggle(chat.clone()))),
            Callback::from(move |()| close.dispatch(Sheet::Close)),
        )
    });
    SheetState {
        open: open.now,
        drawn: open.now || open.opened_for.as_ref() == Some(&chat),
        on_toggle: buttons.0.clone(),
        on_close: buttons.1.clone(),
    }
}
