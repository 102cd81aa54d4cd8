//! The app's words in zh-CN and English.
//!
//! Every string the UI shows is a [`Key`]; each locale's catalog is an exhaustive
//! `match`, so a key missing from a catalog does not compile. Strings with values take
//! them through `{n}`-style placeholders (see [`fill`]).

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Locale {
    En,
    ZhCn,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    /// The BCP 47 tag, for `<html lang>` and storage.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhCn => "zh-CN",
        }
    }

    /// The locale's own name, for the language switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::ZhCn => "简体中文",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Locale> {
        let t = tag.to_ascii_lowercase();
        if t.starts_with("zh") {
            Some(Locale::ZhCn)
        } else if t.starts_with("en") {
            Some(Locale::En)
        } else {
            None
        }
    }

    /// The first of the browser's preferred languages we speak; English otherwise.
    pub fn negotiate<'a>(preferred: impl IntoIterator<Item = &'a str>) -> Locale {
        preferred.into_iter().find_map(Locale::from_tag).unwrap_or(Locale::En)
    }

    pub fn text(self, key: Key) -> &'static str {
        match self {
            Locale::En => en(key),
            Locale::ZhCn => zh_cn(key),
        }
    }
}

/// Replaces `{name}` placeholders with values.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

macro_rules! keys {
    ($($k:ident),* $(,)?) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Key { $($k),* }
        impl Key {
            pub const ALL: &'static [Key] = &[$(Key::$k),*];
        }
    };
}

keys! {
    SkipToContent, Language, Streamers, DirectoryEmpty, ReplaysOne, ReplaysMany, TotalRecorded,
    Live, HistoryReplays, NoReplays, NoReplaysHint, LoadMore, Loading, LoadFailed, Retry, EndOfList,
    StreamerNotFound, ReplayNotFound, NotFoundTitle, NotFoundBody, BackHome, WatchReplay,
    MoreFrom, NowPlaying, UpNext, PlayNext, WatchOnRelive,
    PlayerLabel, Play, Pause, Mute, Unmute, Volume, Seek, SeekValue, Speed, SpeedNormal, Fullscreen, ExitFullscreen,
    PictureInPicture, Share, LinkCopied, CopyFailed, Embed, EmbedCode, Copy, Copied, Close, ResumeFrom, StartOver,
    ErrNetwork, ErrDecode, ErrUnsupported, ErrCorrupt, ErrTruncated, ErrPartMissing, ErrRefused, Buffering,
    JustNow, MinutesAgo, HoursAgo, Yesterday, DaysAgo, DurationHm, DurationM, DurationS, Hours,
    StatusRecording, StatusProcessing, StatusFailed, ProcessingHint, FailedUnknown, WatchReplayStatus, PartsCount, DownloadMp4,
    Parts, PartN, RecordingPaused, GapMarker, PanelRecording, PanelRecordingHint, PanelProcessing, PanelProcessingHint, PanelFailed,
    NoteRecording, NoteProcessing, NoteFailed, FailureReason,
    TapToUnmute, EmbedPlayground, PlaygroundIntro, PlaygroundReplay, PlaygroundNoReplay, PlaygroundPreview,
    PlaygroundCode, PlaygroundApi, ParamStart, ParamEnd, ParamAutoplay, ParamMuted, ParamLoop, ParamControls, ParamTitle,
    LangAuto, Seconds, FastForward, CloseMiniPlayer, BackToPlayer,
}

fn en(k: Key) -> &'static str {
    use Key::*;
    match k {
        SkipToContent => "Skip to content",
        Language => "Language",
        Streamers => "Streamers",
        DirectoryEmpty => "No streamers yet. They appear here after their first recorded broadcast.",
        ReplaysOne => "1 replay",
        ReplaysMany => "{n} replays",
        TotalRecorded => "{d} recorded",
        Live => "LIVE",
        HistoryReplays => "History replays",
        NoReplays => "No replays yet",
        NoReplaysHint => "Recorded broadcasts will show up here.",
        LoadMore => "Load more",
        Loading => "Loading…",
        LoadFailed => "Couldn't load this. Check your connection and try again.",
        Retry => "Retry",
        EndOfList => "That's all of them.",
        StreamerNotFound => "There is no streamer at this address.",
        ReplayNotFound => "This replay doesn't exist or was removed.",
        NotFoundTitle => "Page not found",
        NotFoundBody => "Nothing lives at this address.",
        BackHome => "Back to all streamers",
        WatchReplay => "Watch {title}",
        MoreFrom => "More from {name}",
        NowPlaying => "Now playing",
        UpNext => "Up next",
        PlayNext => "Play next",
        WatchOnRelive => "Watch on Relive",
        PlayerLabel => "Video player",
        Play => "Play",
        Pause => "Pause",
        Mute => "Mute",
        Unmute => "Unmute",
        Volume => "Volume",
        Seek => "Seek",
        SeekValue => "{time} of {total}",
        Speed => "Playback speed",
        SpeedNormal => "Normal",
        Fullscreen => "Full screen",
        ExitFullscreen => "Exit full screen",
        PictureInPicture => "Picture in picture",
        Seconds => "{n} s",
        FastForward => "Playing at 2× while held",
        CloseMiniPlayer => "Close the mini player",
        BackToPlayer => "Back to the player",
        Share => "Share at current time",
        LinkCopied => "Link copied",
        CopyFailed => "Couldn't copy: select the text and copy it yourself",
        Embed => "Embed",
        EmbedCode => "Embed this replay on your site",
        Copy => "Copy",
        Copied => "Copied",
        Close => "Close",
        ResumeFrom => "Resume from {time}",
        StartOver => "Start over",
        ErrNetwork => "The video stopped loading: the network failed.",
        ErrDecode => "This video can't be decoded by your browser.",
        ErrUnsupported => "This video file is missing or in a format your browser can't play.",
        ErrCorrupt => "This recording is damaged and can't be played from here.",
        ErrTruncated => "The recording ends here: the rest of the file is missing.",
        ErrPartMissing => "A part of this recording can't be found on the server.",
        ErrRefused => "The video's host refused access, even with a new link.",
        Buffering => "Buffering",
        JustNow => "just now",
        MinutesAgo => "{n} min ago",
        HoursAgo => "{n} h ago",
        Yesterday => "yesterday",
        DaysAgo => "{n} days ago",
        DurationHm => "{h} h {m} min",
        DurationM => "{m} min",
        DurationS => "{s} s",
        Hours => "{h} hours",
        StatusRecording => "Recording now",
        StatusProcessing => "Processing",
        StatusFailed => "Failed",
        ProcessingHint => "The replay appears when the last part is in.",
        FailedUnknown => "The recording service couldn't record this broadcast.",
        WatchReplayStatus => "Watch {title} ({status})",
        PartsCount => "{n} parts",
        DownloadMp4 => "Download MP4",
        Parts => "Parts",
        PartN => "Part {n}",
        RecordingPaused => "recording paused {d}",
        GapMarker => "recording paused for {d}",
        PanelRecording => "This broadcast is being recorded now",
        PanelRecordingHint => "The replay appears here once the stream ends and the last part is delivered.",
        PanelProcessing => "The replay is being prepared",
        PanelProcessingHint => "It appears here when the recording service delivers the last part.",
        PanelFailed => "This broadcast couldn't be recorded",
        NoteRecording => "Still recording: what is in plays now, and more will follow.",
        NoteProcessing => "More may still arrive: the recording service is delivering the last parts.",
        NoteFailed => "The recording stopped with an error; what was recorded plays here.",
        FailureReason => "Reason: {reason}",
        TapToUnmute => "Unmute",
        EmbedPlayground => "Embed playground",
        PlaygroundIntro => {
            "Pick a replay and its parameters: the player below is the embed as it will look, and the code under it puts it on your site."
        }
        PlaygroundReplay => "Replay (number or link)",
        PlaygroundNoReplay => "Enter a replay number or a link to a replay.",
        PlaygroundPreview => "Preview",
        PlaygroundCode => "Code to paste",
        PlaygroundApi => "To control it from your page, load {script} and call ReliveEmbed.player(iframe).",
        ParamStart => "Start at (seconds)",
        ParamEnd => "Stop at (seconds)",
        ParamAutoplay => "Play at once (muted if the browser asks)",
        ParamMuted => "Muted",
        ParamLoop => "Loop",
        ParamControls => "Show controls",
        ParamTitle => "Show title",
        LangAuto => "The viewer's language",
    }
}

fn zh_cn(k: Key) -> &'static str {
    use Key::*;
    match k {
        SkipToContent => "跳到主要内容",
        Language => "语言",
        Streamers => "主播",
        DirectoryEmpty => "还没有主播。主播的第一次直播录制完成后会出现在这里。",
        ReplaysOne => "1 个回放",
        ReplaysMany => "{n} 个回放",
        TotalRecorded => "共录制 {d}",
        Live => "直播中",
        HistoryReplays => "历史回放",
        NoReplays => "暂无回放",
        NoReplaysHint => "直播录制完成后会显示在这里。",
        LoadMore => "加载更多",
        Loading => "加载中…",
        LoadFailed => "加载失败，请检查网络后重试。",
        Retry => "重试",
        EndOfList => "已经到底了",
        StreamerNotFound => "这个地址没有对应的主播。",
        ReplayNotFound => "这个回放不存在或已被删除。",
        NotFoundTitle => "页面不存在",
        NotFoundBody => "这个地址没有内容。",
        BackHome => "返回主播列表",
        WatchReplay => "观看 {title}",
        MoreFrom => "{name} 的更多回放",
        NowPlaying => "正在播放",
        UpNext => "接下来播放",
        PlayNext => "播放下一个",
        WatchOnRelive => "在 Relive 观看",
        PlayerLabel => "视频播放器",
        Play => "播放",
        Pause => "暂停",
        Mute => "静音",
        Unmute => "取消静音",
        Volume => "音量",
        Seek => "播放进度",
        SeekValue => "{time} / {total}",
        Speed => "播放速度",
        SpeedNormal => "正常",
        Fullscreen => "全屏",
        ExitFullscreen => "退出全屏",
        PictureInPicture => "画中画",
        Seconds => "{n} 秒",
        FastForward => "按住时 2 倍速播放",
        CloseMiniPlayer => "关闭小窗播放",
        BackToPlayer => "回到播放器",
        Share => "分享当前时间点",
        LinkCopied => "链接已复制",
        CopyFailed => "复制失败：请手动选中文字复制",
        Embed => "嵌入",
        EmbedCode => "把这个回放嵌入你的网站",
        Copy => "复制",
        Copied => "已复制",
        Close => "关闭",
        ResumeFrom => "从 {time} 继续播放",
        StartOver => "从头播放",
        ErrNetwork => "网络出错，视频停止加载。",
        ErrDecode => "浏览器无法解码这个视频。",
        ErrUnsupported => "视频文件不存在，或浏览器无法播放这种格式。",
        ErrCorrupt => "录制文件已损坏，无法从这里继续播放。",
        ErrTruncated => "录制到这里就结束了：文件后面的部分缺失。",
        ErrPartMissing => "服务器上找不到这段录制的一部分。",
        ErrRefused => "视频服务器拒绝访问，换用新链接也不行。",
        Buffering => "缓冲中",
        JustNow => "刚刚",
        MinutesAgo => "{n} 分钟前",
        HoursAgo => "{n} 小时前",
        Yesterday => "昨天",
        DaysAgo => "{n} 天前",
        DurationHm => "{h} 小时 {m} 分钟",
        DurationM => "{m} 分钟",
        DurationS => "{s} 秒",
        Hours => "{h} 小时",
        StatusRecording => "正在录制",
        StatusProcessing => "处理中",
        StatusFailed => "录制失败",
        ProcessingHint => "最后一段录制送达后即可观看回放。",
        FailedUnknown => "录制服务未能录制这场直播。",
        WatchReplayStatus => "观看 {title}（{status}）",
        PartsCount => "{n} 段",
        DownloadMp4 => "下载 MP4",
        Parts => "分段",
        PartN => "第 {n} 段",
        RecordingPaused => "录制中断 {d}",
        GapMarker => "录制中断了 {d}",
        PanelRecording => "这场直播正在录制中",
        PanelRecordingHint => "直播结束、录制服务送达最后一段后，回放会出现在这里。",
        PanelProcessing => "回放正在准备中",
        PanelProcessingHint => "录制服务送达最后一段后，回放会出现在这里。",
        PanelFailed => "这场直播未能录制",
        NoteRecording => "仍在录制：已录好的部分现在就能看，后续内容会陆续加入。",
        NoteProcessing => "这场直播可能还有后续内容：录制服务仍在送达最后几段。",
        NoteFailed => "录制因出错而中止；这里播放已录下的部分。",
        FailureReason => "原因：{reason}",
        TapToUnmute => "点击开启声音",
        EmbedPlayground => "嵌入代码调试",
        PlaygroundIntro => "选择回放和参数：下面的播放器就是嵌入后的样子，再下面的代码可以放到你的网站上。",
        PlaygroundReplay => "回放（编号或链接）",
        PlaygroundNoReplay => "请输入回放编号或回放链接。",
        PlaygroundPreview => "预览",
        PlaygroundCode => "嵌入代码",
        PlaygroundApi => "要在你的页面里控制播放器，加载 {script} 并调用 ReliveEmbed.player(iframe)。",
        ParamStart => "开始时间（秒）",
        ParamEnd => "停止时间（秒）",
        ParamAutoplay => "自动播放（浏览器要求时静音）",
        ParamMuted => "静音",
        ParamLoop => "循环播放",
        ParamControls => "显示控制栏",
        ParamTitle => "显示标题",
        LangAuto => "跟随观众的语言",
    }
}

/// The current locale, shared through context. `t` gives a string that follows it.
#[derive(Clone, Copy)]
pub struct I18n {
    pub locale: RwSignal<Locale>,
}

impl I18n {
    pub fn t(self, key: Key) -> &'static str {
        self.locale.get().text(key)
    }

    pub fn get(self) -> Locale {
        self.locale.get()
    }
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_text_in_every_locale() {
        for &locale in &Locale::ALL {
            for &key in Key::ALL {
                assert!(!locale.text(key).trim().is_empty(), "{key:?} is empty in {locale:?}");
            }
        }
    }

    #[test]
    fn placeholders_match_across_locales() {
        let holes = |s: &str| {
            let mut v: Vec<String> =
                s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|x| x.0.to_string())).collect();
            v.sort();
            v
        };
        for &key in Key::ALL {
            assert_eq!(holes(Locale::En.text(key)), holes(Locale::ZhCn.text(key)), "{key:?}");
        }
    }

    #[test]
    fn chinese_catalog_is_translated() {
        let same: Vec<_> = Key::ALL.iter().filter(|&&k| Locale::En.text(k) == Locale::ZhCn.text(k)).collect();
        assert!(same.is_empty(), "untranslated: {same:?}");
    }

    #[test]
    fn negotiates_from_browser_preferences() {
        assert_eq!(Locale::negotiate(["fr-FR", "zh-TW", "en"]), Locale::ZhCn);
        assert_eq!(Locale::negotiate(["en-GB", "zh-CN"]), Locale::En);
        assert_eq!(Locale::negotiate(["de"]), Locale::En);
        assert_eq!(fill("{n} 个回放", &[("n", "3")]), "3 个回放");
    }
}
