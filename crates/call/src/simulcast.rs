//! Simulcast through the SFU: each participant encodes its video three times (layers: the
//! full bitrate, a third, an eighth); the SFU forwards one layer per receiver. It moves a
//! receiver down a layer when the receiver's reports on that stream show loss, and back up
//! after a clean spell, and it switches only at a keyframe of the new layer (a decoder cannot
//! start in the middle of another encoding), asking the sender for one.

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Layer {
    Low,
    Mid,
    High,
}

/// A receiver report with more than this share lost moves the receiver down a layer.
pub const LOSS_TO_STEP_DOWN: f64 = 0.05;
/// Clean reports in a row (about a second apart) before the receiver is tried a layer up.
pub const CLEAN_REPORTS_TO_STEP_UP: u32 = 4;

impl Layer {
    pub const ALL: [Layer; 3] = [Layer::High, Layer::Mid, Layer::Low];

    pub fn name(self) -> &'static str {
        match self {
            Layer::Low => "low",
            Layer::Mid => "mid",
            Layer::High => "high",
        }
    }

    /// What the layer adds to a video track's id (the full layer keeps the plain id).
    pub fn suffix(self) -> &'static str {
        match self {
            Layer::Low => "-low",
            Layer::Mid => "-mid",
            Layer::High => "",
        }
    }

    /// The layer's video bitrate when the full layer's is `top`.
    pub fn kbps(self, top: u32) -> u32 {
        match self {
            Layer::Low => (top / 8).max(30),
            Layer::Mid => (top / 3).max(50),
            Layer::High => top,
        }
    }

    fn lower(self) -> Option<Layer> {
        match self {
            Layer::High => Some(Layer::Mid),
            Layer::Mid => Some(Layer::Low),
            Layer::Low => None,
        }
    }

    fn higher(self) -> Option<Layer> {
        match self {
            Layer::Low => Some(Layer::Mid),
            Layer::Mid => Some(Layer::High),
            Layer::High => None,
        }
    }
}

/// Which layer of one sender one receiver gets.
#[derive(Debug, Clone)]
pub struct Selector {
    pub current: Layer,
    /// Where the receiver is headed; equal to `current` unless a switch waits for a keyframe.
    pub target: Layer,
    clean: u32,
    /// The first report after a switch still covers the old layer: it is not judged.
    settling: bool,
    pub switches: u32,
}

impl Default for Selector {
    fn default() -> Self {
        Selector { current: Layer::High, target: Layer::High, clean: 0, settling: false, switches: 0 }
    }
}

impl Selector {
    /// A receiver report on the forwarded stream. Returns the layer to ask the sender for a
    /// keyframe of, when the receiver should move (or is still waiting to).
    pub fn on_report(&mut self, fraction_lost: f64) -> Option<Layer> {
        if self.target != self.current {
            // Still waiting for the new layer's keyframe: ask again (the request may be lost).
            return Some(self.target);
        }
        if std::mem::take(&mut self.settling) {
            return None;
        }
        if fraction_lost > LOSS_TO_STEP_DOWN {
            self.clean = 0;
            self.target = self.current.lower()?;
            return Some(self.target);
        }
        if fraction_lost > 0.0 {
            self.clean = 0;
            return None;
        }
        self.clean += 1;
        if self.clean < CLEAN_REPORTS_TO_STEP_UP {
            return None;
        }
        self.clean = 0;
        self.target = self.current.higher()?;
        Some(self.target)
    }

    /// A packet of `layer` reached the SFU: whether to forward it to this receiver, and
    /// whether the receiver just switched to that layer (at its keyframe).
    pub fn accept(&mut self, layer: Layer, keyframe_start: bool) -> (bool, bool) {
        if layer == self.current {
            return (true, false);
        }
        if layer == self.target && keyframe_start {
            self.current = layer;
            self.switches += 1;
            self.settling = true;
            return (true, true);
        }
        (false, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_steps_down_at_the_next_keyframe_and_a_clean_spell_steps_up() {
        let mut s = Selector::default();
        assert_eq!(s.on_report(0.0), None);
        assert_eq!(s.on_report(0.12), Some(Layer::Mid));
        // Until the mid layer's keyframe arrives, the high layer still flows.
        assert_eq!(s.accept(Layer::High, false), (true, false));
        assert_eq!(s.accept(Layer::Mid, false), (false, false));
        assert_eq!(s.on_report(0.2), Some(Layer::Mid), "asks again while waiting");
        assert_eq!(s.accept(Layer::Mid, true), (true, true));
        assert_eq!(s.accept(Layer::High, true), (false, false));
        assert_eq!(s.on_report(0.3), None, "the report after a switch still covers the old layer");
        for _ in 0..CLEAN_REPORTS_TO_STEP_UP - 1 {
            assert_eq!(s.on_report(0.0), None);
        }
        assert_eq!(s.on_report(0.0), Some(Layer::High));
        assert_eq!(s.switches, 1);
    }

    #[test]
    fn the_lowest_layer_is_the_floor_and_layers_shrink() {
        let mut s = Selector { current: Layer::Low, target: Layer::Low, ..Default::default() };
        assert_eq!(s.on_report(0.5), None);
        assert_eq!(s.current, Layer::Low);
        assert!(Layer::High.kbps(800) > Layer::Mid.kbps(800) && Layer::Mid.kbps(800) > Layer::Low.kbps(800));
    }
}
