//! A destructive action behind a second, explicit step.

use yew::prelude::*;

/// Props of [`ConfirmButton`].
#[derive(Properties, PartialEq)]
pub struct ConfirmButtonProps {
    /// The first button's label.
    pub label: AttrValue,
    /// What will happen, asked before doing it.
    pub question: AttrValue,
    /// The confirming button's label.
    pub confirm: AttrValue,
    /// Called once the user confirmed.
    pub on_confirm: Callback<()>,
    /// Class of the first button.
    #[prop_or(AttrValue::Static("secondary"))]
    pub class: AttrValue,
}

/// A button that asks before it acts; Cancel goes back.
#[function_component]
pub fn ConfirmButton(props: &ConfirmButtonProps) -> Html {
    let asking = use_state(|| false);
    let set = |v: bool| {
        let asking = asking.clone();
        Callback::from(move |_: MouseEvent| asking.set(v))
    };
    let confirm = {
        let (asking, cb) = (asking.clone(), props.on_confirm.clone());
        Callback::from(move |_: MouseEvent| {
            asking.set(false);
            cb.emit(());
        })
    };
    if *asking {
        html! {
            <div class="confirm" role="group" aria-label={props.label.clone()}>
                <p>{ props.question.clone() }</p>
                <button type="button" class="danger" onclick={confirm}>{ props.confirm.clone() }</button>
                <button type="button" class="secondary" onclick={set(false)}>{ "Cancel" }</button>
            </div>
        }
    } else {
        html! {
            <button type="button" class={props.class.clone()} onclick={set(true)}>{ props.label.clone() }</button>
        }
    }
}
