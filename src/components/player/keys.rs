//! The player's keyboard shortcuts (YouTube's, which viewers already know).

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Action {
    TogglePlay,
    /// Seconds, forward or back.
    SeekBy(f64),
    /// To a fraction of the duration (keys 0–9).
    SeekFraction(f64),
    VolumeBy(f64),
    ToggleMute,
    ToggleFullscreen,
}

/// Space/K play-pause, J/L ±10 s, ←/→ ±5 s, ↑/↓ volume, M mute, F full screen, 0–9 jump.
pub fn action_for(key: &str) -> Option<Action> {
    Some(match key {
        " " | "k" | "K" => Action::TogglePlay,
        "j" | "J" => Action::SeekBy(-10.0),
        "l" | "L" => Action::SeekBy(10.0),
        "ArrowLeft" => Action::SeekBy(-5.0),
        "ArrowRight" => Action::SeekBy(5.0),
        "ArrowUp" => Action::VolumeBy(0.05),
        "ArrowDown" => Action::VolumeBy(-0.05),
        "m" | "M" => Action::ToggleMute,
        "f" | "F" => Action::ToggleFullscreen,
        d if d.len() == 1 && d.as_bytes()[0].is_ascii_digit() => {
            Action::SeekFraction(f64::from(d.as_bytes()[0] - b'0') / 10.0)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts() {
        assert_eq!(action_for(" "), Some(Action::TogglePlay));
        assert_eq!(action_for("K"), Some(Action::TogglePlay));
        assert_eq!(action_for("j"), Some(Action::SeekBy(-10.0)));
        assert_eq!(action_for("ArrowRight"), Some(Action::SeekBy(5.0)));
        assert_eq!(action_for("7"), Some(Action::SeekFraction(0.7)));
        assert_eq!(action_for("0"), Some(Action::SeekFraction(0.0)));
        assert_eq!(action_for("x"), None);
        assert_eq!(action_for("Enter"), None);
    }
}
