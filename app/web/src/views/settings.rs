//! The Settings screen, reached from the list of chats: your name, notifications, this
//! device's ID, the broker and ICE servers in use, your data, and which PeerChat this is.
//! Back (the button, the browser's, a phone's gesture) returns to the list.

use peerchat_chat::state::BrokerStatus;
use peerchat_peerjs::PeerId;
use yew::prelude::*;

use super::file_quota::FileQuota;
use super::history::{DeviceData, NotificationSettings};
use super::identity::IdCard;
use super::name::NameForm;
use super::request::{BlockedList, RequestChoice};
use super::status::BrokerBanner;

/// The app's version, as its package says.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What kind of build this is.
const BUILD: &str = if cfg!(debug_assertions) {
    "development build"
} else {
    "release build"
};

/// Props of [`SettingsScreen`].
#[derive(Properties, PartialEq)]
pub struct SettingsScreenProps {
    /// The name in use.
    pub name: String,
    /// Asks for a new name; the error says what to change.
    pub on_rename: Callback<String, Result<(), String>>,
    /// Notifications show the message's words (true) or only who wrote (false).
    pub on_notify_text: Callback<bool>,
    /// This device's peer id, once known.
    pub my_id: Option<PeerId>,
    /// How the broker connection stands.
    pub broker: BrokerStatus,
    /// The broker, as `host:port`, once the config is loaded.
    pub broker_host: Option<String>,
    /// Tries the broker again.
    pub on_retry: Callback<()>,
    /// The ICE servers in use.
    pub ice_servers: Vec<String>,
    /// Exports every room's and conversation's history.
    pub on_export_all: Callback<()>,
    /// Deletes everything on this device (confirmed).
    pub on_erase: Callback<()>,
    /// Back to the list.
    pub on_back: Callback<()>,
    /// The ids the user blocked, with their names.
    pub blocked: Vec<(PeerId, Option<String>)>,
    /// Unblocks one.
    pub on_unblock: Callback<(PeerId, RequestChoice)>,
    /// The space received files may take changed (bytes).
    pub on_file_quota: Callback<u64>,
}

/// The Settings screen; its heading takes the focus when it opens.
#[function_component]
pub fn SettingsScreen(props: &SettingsScreenProps) -> Html {
    let heading = use_node_ref();
    {
        let heading = heading.clone();
        use_effect_with((), move |_| {
            if let Some(h) = heading.cast::<web_sys::HtmlElement>() {
                let _ = h.focus();
            }
        });
    }
    let on_back = props.on_back.reform(|_: MouseEvent| ());
    html! {
        <section class="settings" aria-labelledby="settings-heading">
            <header class="chat-bar">
                <button type="button" class="icon back" aria-label="Back to chats" onclick={on_back}>
                    <span aria-hidden="true">{ "‹" }</span>
                </button>
                <div class="chat-title">
                    <h2 id="settings-heading" tabindex="-1" ref={heading}>{ "Settings" }</h2>
                </div>
            </header>
            <div class="settings-body">
                <NameForm name={props.name.clone()} on_rename={props.on_rename.clone()} />
                <NotificationSettings on_notify_text={props.on_notify_text.clone()} />
                <FileQuota on_quota={props.on_file_quota.clone()} />
                if let Some(id) = &props.my_id {
                    <IdCard id={id.clone()} dom_id="settings-my-id" />
                }
                <section class="card connection" aria-labelledby="connection-heading">
                    <h3 id="connection-heading">{ "Connection" }</h3>
                    if let Some(host) = &props.broker_host {
                        <p>{ "Broker: " }<code class="broker-host">{ host.clone() }</code></p>
                        <BrokerBanner status={props.broker.clone()} host={host.clone()}
                            on_retry={props.on_retry.clone()} />
                    }
                    <p id="ice-heading">{ "ICE servers (they help two devices find a path to each other):" }</p>
                    if props.ice_servers.is_empty() {
                        <p class="hint">{ "None: only devices that can reach each other directly connect." }</p>
                    } else {
                        <ul class="ice-servers" aria-labelledby="ice-heading">
                            { for props.ice_servers.iter().map(|u| html! { <li><code>{ u.clone() }</code></li> }) }
                        </ul>
                    }
                </section>
                <BlockedList blocked={props.blocked.clone()} on_choice={props.on_unblock.clone()} />
                <DeviceData on_export_all={props.on_export_all.clone()} on_erase={props.on_erase.clone()} />
                <section class="card about" aria-labelledby="about-heading">
                    <h3 id="about-heading">{ "About" }</h3>
                    <p class="version">{ format!("PeerChat {VERSION} ({BUILD})") }</p>
                    <p class="hint">{ "Serverless chat: messages go straight between devices, encrypted; the broker only introduces them." }</p>
                </section>
            </div>
        </section>
    }
}
