//! `/embed/playground`: the embed's parameters tried live. Pick a replay (its number or
//! a link to it), set the parameters, watch the embed as it will look, and copy its
//! `<iframe>` code. The fields go through [`EmbedOptions::from_query`], as the embed's
//! address does, so what the code says is what the embed will do.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::browser;
use crate::components::player::EmbedOptions;
use crate::components::player::embed_options::iframe_code;
use crate::i18n::{Key, Locale, fill, use_i18n};
use crate::router::{Route, use_location};

/// A replay's number from what was typed: the number itself, or a link to its watch or
/// embed page (`…/replays/42?t=5`).
pub fn replay_id(input: &str) -> Option<i64> {
    let s = input.trim();
    let digits = |s: &str| -> Option<i64> {
        let d: String = s.chars().take_while(char::is_ascii_digit).collect();
        d.parse().ok()
    };
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    digits(s.rsplit_once("/replays/")?.1)
}

/// The newest replay of the first streamer listed: something to show at once.
async fn some_replay() -> Option<i64> {
    let streamers = api::streamers(None).await.ok()?;
    for s in streamers.items.into_iter().take(5) {
        if let Some(r) = api::replays(s.id, None, 1).await.ok().and_then(|p| p.items.into_iter().next()) {
            return Some(r.id);
        }
    }
    None
}

#[component]
pub fn Playground() -> impl IntoView {
    let i18n = use_i18n();
    browser::set_document_title("Embed playground · Relive");
    let replay = RwSignal::new(use_location().query("id").unwrap_or_default());
    if replay.get_untracked().is_empty() {
        spawn_local(async move {
            if let Some(id) = some_replay().await
                && replay.try_get_untracked().is_some_and(|r| r.is_empty())
            {
                let _ = replay.try_set(id.to_string());
            }
        });
    }
    let (start, end, lang) = (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let d = EmbedOptions::default();
    let flags = [
        (RwSignal::new(d.autoplay), "autoplay", Key::ParamAutoplay),
        (RwSignal::new(d.muted), "muted", Key::ParamMuted),
        (RwSignal::new(d.looped), "loop", Key::ParamLoop),
        (RwSignal::new(d.controls), "controls", Key::ParamControls),
        (RwSignal::new(d.title), "title", Key::ParamTitle),
    ];
    let options = Memo::new(move |_| {
        EmbedOptions::from_query(|name| match name {
            "start" => Some(start.get()),
            "end" => Some(end.get()),
            "lang" => Some(lang.get()),
            _ => flags
                .iter()
                .find(|(_, n, _)| *n == name)
                .map(|(on, _, _)| if on.get() { "1".to_string() } else { "0".to_string() }),
        })
    });
    let src = Memo::new(move |_| {
        replay_id(&replay.get())
            .map(|id| format!("{}{}{}", browser::origin(), Route::embed_replay(id).href(), options.read().query()))
    });
    let code = Memo::new(move |_| src.get().map(|s| iframe_code(&s, "Relive")).unwrap_or_default());
    let copied = RwSignal::new(None::<Key>);
    let copy = move |_| {
        let text = code.get_untracked();
        spawn_local(async move {
            let ok = browser::copy_text(&text).await;
            let _ = copied.try_set(Some(if ok { Key::Copied } else { Key::CopyFailed }));
        });
    };
    let number = move |key: Key, name: &'static str, value: RwSignal<String>| {
        view! {
            <label class="field">
                <span>{move || i18n.t(key)}</span>
                <input type="number" name=name min="0" step="1" inputmode="decimal" prop:value=move || value.get()
                    on:input=move |ev| { value.set(event_target_value(&ev)); copied.set(None) }/>
            </label>
        }
    };
    let script = format!("{}/relive-embed.js", browser::origin());
    view! {
        <section class="playground">
            <h1>{move || i18n.t(Key::EmbedPlayground)}</h1>
            <p class="muted">{move || i18n.t(Key::PlaygroundIntro)}</p>
            <form class="playground-form" on:submit=|ev| ev.prevent_default()>
                <label class="field field-wide">
                    <span>{move || i18n.t(Key::PlaygroundReplay)}</span>
                    <input type="text" name="replay" autocomplete="off" spellcheck="false" prop:value=move || replay.get()
                        on:input=move |ev| { replay.set(event_target_value(&ev)); copied.set(None) }/>
                </label>
                {number(Key::ParamStart, "start", start)}
                {number(Key::ParamEnd, "end", end)}
                <label class="field">
                    <span>{move || i18n.t(Key::Language)}</span>
                    <select name="lang" on:change=move |ev| { lang.set(event_target_value(&ev)); copied.set(None) }>
                        <option value="" selected=true>{move || i18n.t(Key::LangAuto)}</option>
                        {Locale::ALL.iter().map(|l| view! { <option value=l.tag()>{l.native_name()}</option> }).collect_view()}
                    </select>
                </label>
                <fieldset class="playground-flags">
                    {flags.iter().map(|&(on, name, key)| view! {
                        <label class="check">
                            <input type="checkbox" name=name prop:checked=move || on.get()
                                on:change=move |ev| { on.set(event_target_checked(&ev)); copied.set(None) }/>
                            {move || i18n.t(key)}
                        </label>
                    }).collect_view()}
                </fieldset>
            </form>
            <h2>{move || i18n.t(Key::PlaygroundPreview)}</h2>
            {move || match src.get() {
                Some(s) => view! {
                    <iframe class="playground-frame" src=s title="Relive" allow="autoplay; fullscreen; picture-in-picture"
                        allowfullscreen=true></iframe>
                }.into_any(),
                None => view! { <p class="playground-empty muted">{move || i18n.t(Key::PlaygroundNoReplay)}</p> }.into_any(),
            }}
            <h2>{move || i18n.t(Key::PlaygroundCode)}</h2>
            <textarea class="playground-code" readonly=true rows="4" spellcheck="false"
                aria-label=move || i18n.t(Key::PlaygroundCode) prop:value=move || code.get()></textarea>
            <p class="playground-copy">
                <button class="button" type="button" on:click=copy disabled=move || src.get().is_none()>{move || i18n.t(Key::Copy)}</button>
                <span role="status">{move || copied.get().map(|k| i18n.t(k))}</span>
            </p>
            <p class="muted">{move || fill(i18n.t(Key::PlaygroundApi), &[("script", &script)])}</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::replay_id;

    #[test]
    fn replay_from_a_number_or_a_link() {
        assert_eq!(replay_id("42"), Some(42));
        assert_eq!(replay_id(" 42 "), Some(42));
        assert_eq!(replay_id("https://r.example/u/mei/replays/42?t=5"), Some(42));
        assert_eq!(replay_id("/embed/replays/7"), Some(7));
        assert_eq!(replay_id("https://r.example/embed/replays/7?start=3"), Some(7));
        for none in ["", "abc", "/u/mei", "https://r.example/embed/replays/", "-4"] {
            assert_eq!(replay_id(none), None, "{none}");
        }
    }
}
