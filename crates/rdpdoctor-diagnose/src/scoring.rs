//! Every constant the ranking uses, in one place.
//!
//! A cause's score is the sum of the weights of the KB relations its findings
//! match (each finding counts once per cause, however many of its relations
//! apply), plus the user's error hint, then multiplied by the factors for the
//! evidence against it. The score orders causes; it is not a probability.
//! Confidence is read from the score, what speaks against the cause, and its
//! lead over the runner-up: a close second means the evidence does not
//! decide between them.

/// The likelihood every cause keeps from a piece of the user's codes that
/// does not name it, when the pieces are combined ([`crate::codes`]): a
/// code table lists a code's usual causes, not every possible one, so one
/// piece's silence must not rule a cause out.
pub const CODE_FLOOR: f64 = 0.05;
/// How much the user's error weighs, times the share of that error's causes
/// the KB gives this cause.
pub const ERROR_HINT_WEIGHT: f64 = 1.5;
/// What a cause keeps of its score when a finding rules it out.
pub const RULED_OUT_FACTOR: f64 = 0.1;
/// What a cause keeps when the evidence shows no client gets as far as the
/// cause needs (KB `reach`): e.g. "user not allowed" when nothing gets past
/// the security negotiation.
pub const UNREACHABLE_STAGE_FACTOR: f64 = 0.02;
/// What a cause keeps when the user's error does not point to it at all.
pub const NOT_IN_ERROR_FACTOR: f64 = 0.6;
/// What a cause keeps when the deep probe reached the logon screen and none
/// of the cause's findings is present.
pub const REACHED_LOGON_FACTOR: f64 = 0.5;
/// Causes below this score are not listed, unless the user's codes point to them.
pub const MIN_SCORE: f64 = 0.05;
/// High confidence needs at least this score …
pub const HIGH_SCORE: f64 = 0.9;
/// … nothing against it, and this lead over the runner-up.
pub const HIGH_MARGIN: f64 = 0.3;
/// Medium confidence needs at least this score.
pub const MEDIUM_SCORE: f64 = 0.45;
/// The top cause needs this lead over a runner-up resting on one of its
/// findings, or no cause is more than low confidence: two causes the same evidence
/// supports about equally (a server that accepts TCP and closes: a security
/// product, a saturated listener or a port forward with nothing behind it)
/// are a "can't tell", said with low confidence.
pub const MEDIUM_MARGIN: f64 = 0.15;
