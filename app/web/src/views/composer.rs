//! The composer pinned under a chat's messages: Send only when there is something to send,
//! a counter near the length limit, a paste that would pass the limit refused with the
//! reason (never cut silently), and the text kept in the box when sending fails. The
//! rules are the core's (`peerchat_chat::draft`). What is being written stays with its
//! chat: another chat has its own box, and the text is back on return, and after the
//! app was closed (the node keeps it on the device, see `peerchat_node`'s `drafts`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use peerchat_chat::draft::{paste_refusal, Draft};
use peerchat_chat::state::Screen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlInputElement;
use yew::prelude::*;

thread_local! {
    /// Each chat's text as last typed in this page (empty once sent): the composer of a
    /// chat left (for the list on a phone, or another chat) is gone with its state.
    static TYPED: RefCell<HashMap<Screen, String>> = RefCell::default();
}

/// What was typed in `chat` in this page, if anything.
fn typed_in(chat: &Screen) -> Option<String> {
    TYPED.with(|d| d.borrow().get(chat).cloned())
}

/// Forgets what was typed in `chat` (a room left, a peer blocked), or in every chat: a
/// node started anew reads back what the one before saved, and that is what shows.
pub fn forget_typed(chat: Option<&Screen>) {
    TYPED.with(|d| match chat {
        Some(chat) => drop(d.borrow_mut().remove(chat)),
        None => d.borrow_mut().clear(),
    });
}

/// Props of [`Composer`]. Give it `key={chat.tag()}` as well, so that another chat gets
/// a composer of its own.
#[derive(Properties, PartialEq)]
pub struct ComposerProps {
    /// The chat written to.
    pub chat: Screen,
    /// The chat's draft as read back from the device: the box starts with it unless
    /// something was typed in this page since.
    #[prop_or_default]
    pub restored: AttrValue,
    /// The text being written changed (to keep it on the device).
    pub on_draft: Callback<(Screen, String)>,
    /// The text box's id.
    pub input_id: AttrValue,
    /// Sends the text; the error says what to do (then the text stays in the box).
    pub on_send: Callback<String, Result<(), String>>,
    /// Called as the user types.
    #[prop_or_default]
    pub on_typing: Option<Callback<()>>,
    /// Nothing can be sent now (not connected).
    #[prop_or_default]
    pub disabled: bool,
    /// The box's placeholder.
    pub placeholder: AttrValue,
    /// Controls before the box (who it goes to).
    #[prop_or_default]
    pub children: Html,
    /// Files attached (the button, a paste, or a drop); none: no attach button.
    #[prop_or_default]
    pub on_files: Option<Callback<Vec<web_sys::File>>>,
}

/// The files of a file list.
fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// The text box and Send, with the counter and the last refusal under them.
#[function_component]
pub fn Composer(props: &ComposerProps) -> Html {
    let text = use_state(|| typed_in(&props.chat).unwrap_or_else(|| props.restored.to_string()));
    // The box holds what is typed. It starts with the text this composer starts with, its
    // default (the same at every drawing, so yew does not touch the box again), and is
    // set only when the text changes from here (a draft read back, a send). Given as its
    // `value`, yew read the box back at every drawing of the composer to compare (bench
    // room500 profile: 6% of a sending member's main thread).
    let first_text = use_memo((), |()| JsValue::from_str(&text));
    let field = use_node_ref();
    let set_text = {
        let (text, field) = (text.clone(), field.clone());
        Rc::new(move |value: String| {
            if let Some(input) = field.cast::<HtmlInputElement>() {
                input.set_value(&value);
            }
            text.set(value);
        })
    };
    {
        // The drafts may be read back after the chat opened (a composer that starts
        // with its draft, or with none, is not drawn again for it).
        let (text, chat, set_text) = (text.clone(), props.chat.clone(), set_text.clone());
        use_effect_with(props.restored.clone(), move |restored| {
            if typed_in(&chat).is_none() && text.is_empty() && !restored.is_empty() {
                set_text(restored.to_string());
            }
        });
    }
    let error = use_state(|| None::<String>);
    let draft = Draft::of(&text);
    let keep = {
        let (chat, on_draft) = (props.chat.clone(), props.on_draft.clone());
        Rc::new(move |value: &str| {
            TYPED.with(|d| d.borrow_mut().insert(chat.clone(), value.to_owned()));
            on_draft.emit((chat.clone(), value.to_owned()));
        })
    };
    let oninput = {
        let (text, error, typing) = (text.clone(), error.clone(), props.on_typing.clone());
        let keep = keep.clone();
        Callback::from(move |e: InputEvent| {
            let value = e.target_unchecked_into::<HtmlInputElement>().value();
            keep(&value);
            text.set(value);
            error.set(None);
            if let Some(cb) = &typing {
                cb.emit(());
            }
        })
    };
    let onpaste = {
        let (error, on_files) = (error.clone(), props.on_files.clone());
        Callback::from(move |e: Event| {
            let Some(e) = e.dyn_ref::<web_sys::ClipboardEvent>() else {
                return;
            };
            // A pasted photo or file is attached, not typed.
            let files = files_of(e.clipboard_data().and_then(|d| d.files()));
            if let (Some(cb), false) = (&on_files, files.is_empty()) {
                e.prevent_default();
                cb.emit(files);
                return;
            }
            let pasted = e
                .clipboard_data()
                .and_then(|d| d.get_data("text").ok())
                .unwrap_or_default();
            let input = e.target_unchecked_into::<HtmlInputElement>();
            if let Some(why) = paste_refusal(&after_paste(&input, &pasted)) {
                e.prevent_default();
                error.set(Some(why));
            }
        })
    };
    let send = {
        let (text, error, cb) = (text.clone(), error.clone(), props.on_send.clone());
        Rc::new(move || match cb.emit((*text).clone()) {
            Ok(()) => {
                keep("");
                set_text(String::new());
                error.set(None);
            }
            Err(why) => error.set(Some(why)),
        })
    };
    // Send (clicked, or clicked for us by the browser on Enter in the box) sends without
    // submitting the form: Chromium laid the whole page out inside every click on Send
    // as it prepared the form's submission (Chrome trace of a burst: one layout per
    // message, 2 ms each), where the next frame lays out once for all the messages
    // since the last. The form's own submission stays for whatever else submits it.
    let onclick = {
        let send = send.clone();
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            send();
        })
    };
    let onsubmit = Callback::from(move |e: SubmitEvent| {
        e.prevent_default();
        send();
    });
    let id = &props.input_id;
    let counter_id = format!("{id}-counter");
    let counter = draft.counter();
    let on_attach = props.on_files.clone().map(|cb| {
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            cb.emit(files_of(input.files()));
            // The same file may be picked again.
            input.set_value("");
        })
    });
    let ondragover = Callback::from(|e: DragEvent| e.prevent_default());
    let ondrop = {
        let cb = props.on_files.clone();
        Callback::from(move |e: DragEvent| {
            if let Some(cb) = &cb {
                e.prevent_default();
                cb.emit(files_of(e.data_transfer().and_then(|d| d.files())));
            }
        })
    };
    let attach_id = format!("{}-attach", props.input_id);
    html! {
        <div class="composer-area" {ondragover} {ondrop}>
            <form class="composer" {onsubmit}>
                { props.children.clone() }
                if let Some(onchange) = on_attach {
                    // The paper clip is Feather's (feathericons.com, MIT licence).
                    <label for={attach_id.clone()} class={classes!("attach", props.disabled.then_some("disabled"))} title="Attach a file or photo">
                        <svg class="attach-icon" aria-hidden="true" viewBox="0 0 24 24" width="22" height="22" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48" /></svg><span class="visually-hidden">{ "Attach a file or photo" }</span>
                    </label>
                    <input id={attach_id} class="visually-hidden" type="file" multiple=true {onchange} disabled={props.disabled} />
                }
                <label for={id.clone()} class="visually-hidden">{ "Message" }</label>
                <input id={id.clone()} ref={field} type="text" autocomplete="off" dir="auto"
                    ~defaultValue={(*first_text).clone()} {oninput} {onpaste}
                    placeholder={props.placeholder.clone()} disabled={props.disabled}
                    aria-describedby={counter.is_some().then(|| counter_id.clone())} />
                <button type="submit" {onclick} disabled={props.disabled || !draft.sendable()}>{ "Send" }</button>
            </form>
            if let Some(c) = counter {
                <p id={counter_id} class={classes!("counter", (!draft.sendable()).then_some("error"))} role="status">{ c }</p>
            }
            if let Some(e) = error.as_ref() { <p class="error" role="alert">{ e.clone() }</p> }
        </div>
    }
}

/// What the box would hold with `pasted` in place of its selection.
fn after_paste(input: &HtmlInputElement, pasted: &str) -> String {
    // Selection offsets count UTF-16 units, as the box's value does.
    let value: Vec<u16> = input.value().encode_utf16().collect();
    let at = |offset: Option<u32>| {
        offset
            .and_then(|o| usize::try_from(o).ok())
            .unwrap_or(value.len())
            .min(value.len())
    };
    let start = at(input.selection_start().ok().flatten());
    let end = at(input.selection_end().ok().flatten()).max(start);
    let mut out = String::from_utf16_lossy(&value[..start]);
    out.push_str(pasted);
    out.push_str(&String::from_utf16_lossy(&value[end..]));
    out
}
