//! A chat's info sheet: what a chat holds besides its messages (members, invite, history,
//! leaving, connection details), one tap away from the conversation. Beside the
//! conversation on a wide screen, over it on a phone.

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

/// Whether a chat's info sheet is open, with the callbacks that toggle and close it.
#[hook]
pub fn use_info_sheet() -> (bool, Callback<()>, Callback<()>) {
    let open = use_state(|| false);
    let toggle = {
        let open = open.clone();
        Callback::from(move |()| open.set(!*open))
    };
    let close = {
        let open = open.clone();
        Callback::from(move |()| open.set(false))
    };
    (*open, toggle, close)
}
