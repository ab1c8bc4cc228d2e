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

/// Whether an info sheet is open, and whether it ever was.
#[derive(PartialEq)]
struct Open {
    now: bool,
    ever: bool,
}

/// What its buttons do.
enum Sheet {
    Toggle,
    Close,
}

impl Reducible for Open {
    type Action = Sheet;

    fn reduce(self: Rc<Self>, action: Sheet) -> Rc<Self> {
        let now = match action {
            Sheet::Toggle => !self.now,
            Sheet::Close => false,
        };
        Rc::new(Open {
            now,
            ever: self.ever || now,
        })
    }
}

/// A chat's info sheet as its screen draws it (see [`use_info_sheet`]).
pub struct SheetState {
    /// Open now.
    pub open: bool,
    /// Opened at least once since the chat came on screen: what only the sheet shows
    /// need not be drawn before (then it stays, keeping its state while closed).
    pub drawn: bool,
    /// Opens or closes it (the info button).
    pub on_toggle: Callback<()>,
    /// Closes it.
    pub on_close: Callback<()>,
}

/// Whether a chat's info sheet is open, with the callbacks that toggle and close it:
/// the same ones for as long as the chat is on screen, so its bar and sheet are not drawn
/// again for their sake when a message comes.
#[hook]
pub fn use_info_sheet() -> SheetState {
    let open = use_reducer_eq(|| Open {
        now: false,
        ever: false,
    });
    let buttons = use_memo(open.dispatcher(), |d| {
        let (toggle, close) = (d.clone(), d.clone());
        (
            Callback::from(move |()| toggle.dispatch(Sheet::Toggle)),
            Callback::from(move |()| close.dispatch(Sheet::Close)),
        )
    });
    SheetState {
        open: open.now,
        drawn: open.ever,
        on_toggle: buttons.0.clone(),
        on_close: buttons.1.clone(),
    }
}
