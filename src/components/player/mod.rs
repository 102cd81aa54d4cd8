//! The replay player: a native `<video>` with our own controls.
//!
//! Mouse, touch and keyboard all reach everything: every control is a real button,
//! range or select with a name that follows its state; the shortcuts are in
//! [`keys`]. Controls hide while playing and come back on pointer, touch or focus.
//! The position is remembered per replay and offered back ("resume from 12:34").
//!
//! [`Player`] makes one [`PlayerState`] (signals and actions, [`state`]) and provides
//! it by context to its parts: the element ([`media`]), the overlays ([`overlays`]),
//! the controls ([`controls`]: [`seek_bar`] with its [`preview`], [`volume`], [`speed`]) and sharing
//! ([`share`]). What the element plays comes from [`source`]: the file itself, or the
//! [`engine`](crate::engine) for formats the browser cannot play. A broadcast's gaps and
//! part boundaries are marked on the seek bar; what a page shows under the player with
//! the player's state (a broadcast's parts) comes in as `children`.
//!
//! On phones a finger has the gestures of phone players ([`gestures`]: double tap to
//! seek, long press for 2×, drag to scrub); on the watch page the player docks as a
//! mini-player when scrolled away while playing ([`mini`]).
//!
//! Its keys also work at page level ([`page_keys`]). On the embed page the player takes
//! the page's parameters ([`embed_options`]) and answers the host page through
//! `postMessage` ([`embed_api`], speaking [`embed_protocol`]).

pub mod controls;
pub mod embed_api;
pub mod embed_options;
pub mod embed_protocol;
pub mod gestures;
pub mod keys;
pub mod media;
pub mod mini;
pub mod overlays;
pub mod page_keys;
pub mod preview;
pub mod seek_bar;
pub mod share;
pub mod source;
pub mod speed;
pub mod state;
pub mod volume;

use leptos::prelude::*;
use relive_api::Replay;

use self::controls::Controls;
pub use self::embed_options::EmbedOptions;
use self::embed_options::UnmuteOffer;
use self::gestures::GestureOverlay;
use self::media::PlayerVideo;
use self::mini::MiniControls;
use self::overlays::{BigPlay, ErrorOverlay, ResumeOffer, Spinner, TopBar, UpNext};
use self::share::{ShareDialog, Toast};
pub use self::source::Source;
pub use self::state::{PlayerState, use_player};
use self::state::{RATE_KEY, VOLUME_KEY, play};
use crate::browser;
use crate::components::broadcast::timeline_marks;
use crate::format::parse_decimal;
use crate::i18n::{Key, use_i18n};

/// Where to go when this replay ends.
#[derive(Clone, Debug, PartialEq)]
pub struct NextUp {
    pub title: String,
    pub href: String,
}

#[component]
pub fn Player(
    replay: Replay,
    /// The page path of this replay (`/u/x/replays/3`), for share links.
    watch_path: String,
    /// Seconds to start at (`?t=`); overrides the remembered position.
    #[prop(default = None)]
    start_at: Option<f64>,
    /// Offered when this replay ends.
    #[prop(optional, into)]
    next: MaybeProp<NextUp>,
    /// Try to start playing at once (browsers may refuse; the play button stays).
    #[prop(optional)]
    autoplay: bool,
    /// Inside an iframe: show the title with a link out.
    #[prop(optional)]
    embed: bool,
    #[prop(optional, into)] title: Option<Signal<String>>,
    /// The embed page's parameters (`?start=…&controls=0…`); with them the player also
    /// answers the page that frames it ([`embed_api`]).
    #[prop(optional)]
    options: Option<EmbedOptions>,
    /// Shown under the player, with its state in context (`use_player`): a broadcast's
    /// list of parts, say.
    #[prop(optional)]
    children: Option<Children>,
    /// Dock as a mini-player when scrolled out of view while playing (the watch page).
    #[prop(optional)]
    mini: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let p = PlayerState::new(replay.clone(), Source::for_replay(&replay), start_at);
    p.marks.set_value(timeline_marks(&replay.parts, &replay.gaps));
    p.refresh.set_value(Some(source::refresher(&replay)));
    provide_context(p);
    let opts = options.clone().unwrap_or_default();
    let unmute = RwSignal::new(false);
    if let Some(o) = options {
        embed_options::install(p, o, unmute);
        embed_api::install(p);
    }
    page_keys::install(p);
    let gestures = opts.controls.then(|| gestures::install(p));
    let mini = mini.then(|| mini::install(p));
    let slot = mini.map_or_else(NodeRef::new, |m| m.slot);
    let embed_autoplay = opts.autoplay;

    // Attach the source once the element exists (and again on retry, [`PlayerState::retry`]).
    Effect::new(move |_| {
        let Some(v) = p.video_ref.get() else { return };
        if let Some(vol) = browser::storage_get(VOLUME_KEY).and_then(|s| parse_decimal(&s)) {
            v.set_volume(vol.clamp(0.0, 1.0));
        }
        // The speed chosen last time: the default, so that loading the source keeps it.
        if let Some(r) =
            browser::storage_get(RATE_KEY).and_then(|s| parse_decimal(&s)).filter(|r| (0.25..=4.0).contains(r))
        {
            v.set_default_playback_rate(r);
            v.set_playback_rate(r);
            // (Chromium fires no `ratechange` for a rate set before the source.)
            p.rate.set(r);
        }
        p.attach(&v);
        if p.error.get_untracked().is_none() {
            if autoplay {
                play(&v);
            } else if embed_autoplay {
                embed_options::autoplay(&v, unmute);
            }
        }
    });
    on_cleanup(move || {
        p.detach();
        p.clear_hide_timer();
    });

    let topbar = (embed && opts.title).then(|| title.map(|t| view! { <TopBar title=t href=watch_path.clone()/> }));
    view! {
        <div class="player-slot" class:mini=mini.is_some() node_ref=slot>
        <div
            class="player"
            class:docked=move || mini.is_some_and(|m| m.docked.get())
            class:controls-hidden=move || !p.show_controls()
            class:embed=embed
            node_ref=p.root_ref
            tabindex="0"
            role="region"
            aria-label=move || i18n.t(Key::PlayerLabel)
            on:keydown=move |ev| p.on_key(ev)
            on:pointermove=move |_| p.poke()
            on:pointerdown=move |ev: leptos::ev::PointerEvent| p.touch_input.set_value(ev.pointer_type() == "touch")
            on:focusin=move |_| p.poke()
            on:fullscreenchange=move |_| {
                p.fullscreen.set(browser::window().document().and_then(|d| d.fullscreen_element()).is_some())
            }
        >
            <PlayerVideo/>
            {gestures.map(|view| view! { <GestureOverlay view/> })}
            {topbar}
            <Spinner/>
            {opts.controls.then(|| view! { <BigPlay/> })}
            <UnmuteOffer unmute/>
            <ErrorOverlay/>
            <ResumeOffer/>
            <UpNext next/>
            <Toast/>
            <ShareDialog/>
            {opts.controls.then(|| view! { <Controls watch_path title/> })}
            {mini.map(|mini| view! { <MiniControls mini/> })}
        </div>
        </div>
        {children.map(|c| c())}
    }
}
