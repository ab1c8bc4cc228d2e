//! Which tab uses the device (see [`crate::tabs`]): starting the node here when no other
//! tab has it, handing it over when another tab asks, and taking it back on "Use here".

use std::cell::RefCell;
use std::rc::Rc;

use peerchat_chat::state::Action;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::app_state::AppState;
use crate::identity;
use crate::net::Net;
use crate::platform;
use crate::storage::Vault;
use crate::tabs::{self, TabLock, TakeRequests};

/// Where the device is in use, as this tab shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TabState {
    /// Loading the config and claiming the device.
    Starting,
    /// Here.
    Here,
    /// Another tab of this profile had it when this one opened.
    Elsewhere,
    /// It was here, and another tab took it over.
    Moved,
}

/// What starting and handing over need; cheap to clone into callbacks.
#[derive(Clone)]
pub struct DeviceTab {
    pub vault: Vault,
    pub name: String,
    pub dispatcher: UseReducerDispatcher<AppState>,
    pub node: UseStateHandle<Option<Net>>,
    pub state: UseStateHandle<TabState>,
    /// While the device is here: its lock, the listener for other tabs, and the node.
    pub held: Rc<RefCell<Option<(TabLock, TakeRequests, Net)>>>,
}

impl DeviceTab {
    /// Starts the node here: at once if no other tab has the device, or (`take`) after
    /// asking the tab that has it to hand it over.
    pub async fn start(self, take: bool) {
        let chosen = match platform::load_config().await {
            Ok(chosen) => chosen,
            Err(e) => return self.dispatcher.dispatch(Action::ConfigFailed(e)),
        };
        let config = chosen.config;
        if let Some(warning) = chosen.warning {
            self.dispatcher.dispatch(Action::ConfigFailed(warning));
        }
        let (id, lock) = match identity::claim(&self.vault).await {
            Ok(claimed) => claimed,
            Err(device) if take => {
                tabs::ask_to_take();
                let lock = tabs::wait_lock(&identity::lock_name(&device)).await;
                (device, lock)
            }
            Err(_) => return self.state.set(TabState::Elsewhere),
        };
        self.dispatcher.dispatch(Action::ConfigLoaded {
            broker: config.broker.describe(),
            ice: config.ice_shown(),
        });
        self.dispatcher
            .dispatch(Action::IdentityReady(id.id.clone()));
        let dispatcher = self.dispatcher.clone();
        let dispatch = Callback::from(move |a| dispatcher.dispatch(a));
        crate::views::composer::forget_typed(None);
        let net = Net::start(config, id, self.name.clone(), self.vault.clone(), dispatch);
        let show = crate::notify::shows_text();
        net.act(|n, _| n.set_notification_text(show));
        let quota = crate::views::file_quota::file_quota();
        net.act(|n, _| n.set_file_quota(quota));
        let this = self.clone();
        let listener = TakeRequests::listen(move || spawn_local(this.clone().hand_over()));
        if let Some(listener) = listener {
            *self.held.borrow_mut() = Some((lock, listener, net.clone()));
        }
        self.node.set(Some(net));
        self.state.set(TabState::Here);
    }

    /// Another tab asked for the device: save, close, let the lock go.
    async fn hand_over(self) {
        let Some((lock, listener, net)) = self.held.borrow_mut().take() else {
            return;
        };
        drop(listener);
        self.node.set(None);
        net.hand_over().await;
        lock.release();
        self.state.set(TabState::Moved);
    }
}

/// Props of [`ElsewhereNotice`].
#[derive(Properties, PartialEq)]
pub struct ElsewhereNoticeProps {
    /// Why the device is not in use here.
    pub state: TabState,
    /// "Use here".
    pub on_take: Callback<()>,
}

/// Says that PeerChat is open in another tab, with "Use here".
#[function_component]
pub fn ElsewhereNotice(props: &ElsewhereNoticeProps) -> Html {
    let text = match props.state {
        TabState::Moved => "PeerChat is now open in another tab. Your chats go on there.",
        _ => "PeerChat is open in another tab. Use it there, or use it here instead (the other tab stops).",
    };
    let on_take = props.on_take.reform(|_| ());
    html! {
        <section class="card elsewhere" role="alert">
            <p>{ text }</p>
            <button type="button" onclick={on_take}>{ "Use here" }</button>
        </section>
    }
}
