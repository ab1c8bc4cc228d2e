//! The root component: owns the state, starts the network side once we have a name.

use std::rc::Rc;

use peerchat_chat::state::{Action, ChatState};
use peerchat_peerjs::PeerId;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::identity;
use crate::net::Node;
use crate::platform;
use crate::views::conversation::{ConversationList, ConversationView};
use crate::views::identity::{ConnectForm, IdCard};
use crate::views::setup::NamePrompt;
use crate::views::status::BrokerBanner;

/// [`ChatState`] as a Yew reducer.
#[derive(Default, PartialEq, Clone)]
pub struct AppState(pub ChatState);

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut state = Rc::unwrap_or_clone(self);
        state.0.reduce(action);
        Rc::new(state)
    }
}

/// The whole app.
#[function_component]
pub fn App() -> Html {
    let state = use_reducer(|| {
        let mut s = AppState::default();
        if let Some(name) = identity::saved_name() {
            s.0.reduce(Action::NameChosen(name));
        }
        s
    });
    let node = use_state(|| None::<Node>);
    let broker_host = use_state(String::new);
    let config_error = use_state(|| None::<String>);

    {
        let (node, broker_host, config_error) =
            (node.clone(), broker_host.clone(), config_error.clone());
        let dispatcher = state.dispatcher();
        use_effect_with(state.0.my_name.clone(), move |name| {
            if let (Some(name), None) = (name.clone(), node.as_ref()) {
                spawn_local(async move {
                    match platform::load_config().await {
                        Ok(config) => {
                            let id = identity::claim().await;
                            broker_host.set(config.broker.describe());
                            dispatcher.dispatch(Action::IdentityReady(id.id.clone()));
                            let dispatch = Callback::from(move |a| dispatcher.dispatch(a));
                            node.set(Some(Node::start(config, id, name, dispatch)));
                        }
                        Err(e) => config_error.set(Some(e)),
                    }
                });
            }
        });
    }

    let on_name = {
        let dispatcher = state.dispatcher();
        Callback::from(move |name: String| {
            identity::save_name(&name);
            dispatcher.dispatch(Action::NameChosen(name));
        })
    };
    let on_connect = {
        let node = node.clone();
        Callback::from(move |peer: PeerId| {
            if let Some(n) = node.as_ref() {
                n.connect(peer);
            }
        })
    };
    let on_send = {
        let node = node.clone();
        Callback::from(move |(peer, text): (PeerId, String)| match node.as_ref() {
            Some(n) => n.send_text(&peer, &text),
            None => Err("Still starting up; try again in a moment.".to_owned()),
        })
    };
    let on_retry = {
        let node = node.clone();
        Callback::from(move |()| {
            if let Some(n) = node.as_ref() {
                n.retry();
            }
        })
    };
    let on_select = {
        let dispatcher = state.dispatcher();
        Callback::from(move |peer: PeerId| dispatcher.dispatch(Action::Select(peer)))
    };

    let s = &state.0;
    let body = match &s.my_name {
        None => html! { <NamePrompt on_submit={on_name} /> },
        Some(name) => html! {
            <>
                <p class="greeting">{ format!("Hi, {name}!") }</p>
                if let Some(err) = config_error.as_ref() {
                    <p class="banner error" role="alert">{ err.clone() }</p>
                }
                if !broker_host.is_empty() {
                    <BrokerBanner status={s.broker.clone()} host={(*broker_host).clone()} {on_retry} />
                }
                if let Some(id) = &s.my_id {
                    <IdCard id={id.clone()} />
                    <ConnectForm my_id={id.clone()} {on_connect} />
                }
                <ConversationList
                    conversations={s.conversations.clone()}
                    active={s.active.clone()}
                    {on_select}
                />
                if let Some(c) = s.active_conversation() {
                    <ConversationView conversation={c.clone()} {on_send} />
                }
            </>
        },
    };
    html! {
        <main class="app">
            <header class="top"><h1>{ "PeerChat" }</h1></header>
            { body }
        </main>
    }
}
