//! Changing our display name: members and contacts we are linked to see the new name at
//! once, with a notice of the change on their screens.

use yew::prelude::*;

/// Props of [`NameForm`].
#[derive(Properties, PartialEq)]
pub struct NameFormProps {
    /// The name in use.
    pub name: String,
    /// Asks for the new name; the error says what to change.
    pub on_rename: Callback<String, Result<(), String>>,
}

/// "Your name", folded away until wanted.
#[function_component]
pub fn NameForm(props: &NameFormProps) -> Html {
    // What was typed stays in the box (also when it is refused, to be corrected).
    let typed = use_state(|| props.name.clone());
    let said = use_state(|| None::<Result<String, String>>);
    let oninput = {
        let typed = typed.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(el) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                typed.set(el.value());
            }
        })
    };
    let onsubmit = {
        let (typed, said, cb) = (typed.clone(), said.clone(), props.on_rename.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            said.set(Some(match cb.emit((*typed).clone()) {
                Ok(()) => Ok("Saved. Everyone you are connected to sees your new name.".into()),
                Err(e) => Err(format!("Please {e}.")),
            }));
        })
    };
    html! {
        <details class="card rename">
            <summary>{ "Your name" }</summary>
            <form {onsubmit}>
                <label for="rename-input">{ "Display name" }</label>
                <input id="rename-input" type="text" value={(*typed).clone()} {oninput}
                    autocomplete="nickname" />
                <button type="submit">{ "Save name" }</button>
            </form>
            { match said.as_ref() {
                Some(Ok(note)) => html! { <p class="note" role="status">{ note.clone() }</p> },
                Some(Err(e)) => html! { <p class="error" role="alert">{ e.clone() }</p> },
                None => html! {},
            } }
        </details>
    }
}
