//! Markov chain attribution with removal effects solved from the absorbing chain.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

use super::settings::{MarkovOptions, Repeats};
use super::{Journeys, ModelResult};

/// The Markov chain behind a Markov attribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkovReport {
    /// Order of the chain.
    pub order: u8,
    /// How consecutive repeats were read.
    pub repeats: Repeats,
    /// Transient states, named `a` or `a > b` (the last channels seen), in name order.
    pub states: Vec<String>,
    /// Every transition seen, with its count and probability; `(start)`, `(conversion)` and
    /// `(null)` name the start and the two absorbing states.
    pub transitions: Vec<Transition>,
    /// Probability that a journey converts, from the chain (12 decimals).
    pub conversion_probability: Decimal,
    /// Expected conversion value per journey from the chain, minor units (6 decimals).
    pub expected_value: Decimal,
    /// Per channel: the chain without it and the removal effects.
    pub removals: Vec<RemovalEffect>,
    /// Gauss–Seidel sweeps of the slowest solve.
    pub sweeps: u32,
}

/// One transition of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// From state.
    pub from: String,
    /// To state.
    pub to: String,
    /// Journeys that made it (each journey weighted by its conversions plus nulls).
    pub count: u64,
    /// count / all transitions out of `from` (12 decimals).
    pub probability: Decimal,
}

/// A channel's removal effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovalEffect {
    /// Channel name.
    pub channel: String,
    /// Conversion probability when every state holding the channel leads to null (12 decimals).
    pub conversion_probability: Decimal,
    /// 1 − that / the full chain's probability (12 decimals).
    pub removal_effect: Decimal,
    /// Expected value per journey without the channel, minor units (6 decimals).
    pub expected_value: Decimal,
    /// 1 − that / the full chain's expected value (12 decimals).
    pub value_removal_effect: Decimal,
}

/// Absolute change of a probability in a Gauss–Seidel sweep under which a solve stops.
pub const MARKOV_TOLERANCE: f64 = 1e-15;

/// Most Gauss–Seidel sweeps of one solve before it is an error.
pub const MARKOV_MAX_SWEEPS: u32 = 100_000;

/// Markov chain attribution.
///
/// The chain: `(start)` → states → `(conversion)` / `(null)`. A state is the last `order`
/// channels seen (at the start of a journey, the fewer seen so far: `a`, then `a > b`, …);
/// with [`Repeats::Collapse`] consecutive repeats of a channel are read once. Each journey
/// walks the chain once per conversion and once per null, and the transition probabilities
/// are the counts out of each state divided by their sum. The conversion probability and
/// the expected value (a conversion from state `s` is worth the mean value of the journeys'
/// conversions that ended in `s`) are solved from the absorbing chain by Gauss–Seidel sweeps
/// until no unknown moves by more than [`MARKOV_TOLERANCE`] (exact to that; not a simulation).
/// Removing a channel sends every state holding it to `(null)`; its removal effect is
/// 1 − P(without) / P, and the value removal effect 1 − E(without) / E. Removal effects are
/// rounded to 12 decimals, and the conversions (value) are split in proportion to them
/// (largest remainder, ties by channel name). Removals are solved on several threads; each
/// solve is sequential, so the result does not depend on the thread count.
pub fn markov(journeys: &Journeys, options: &MarkovOptions) -> Result<(ModelResult, MarkovReport)> {
    options.validate("markov.")?;
    let chain = Chain::build(journeys, options);
    let n_states = chain.keys.len();
    let n_ch = journeys.channels().len();
    let total_start: u64 = chain.start.iter().sum();
    let mean_value = if journeys.total_conversions() > 0 {
        journeys.total_value() as f64 / journeys.total_conversions() as f64
    } else {
        0.0
    };
    let csr = chain.csr(mean_value);
    let none = vec![false; n_states];
    let (base_p, base_e, mut sweeps) = csr.absorb(&chain.start, total_start, &none)?;
    // Which states hold each channel.
    let mut holders: Vec<Vec<u32>> = vec![Vec::new(); n_ch];
    for (s, &key) in chain.keys.iter().enumerate() {
        let mut seen = [u32::MAX; 4];
        for (i, c) in unpack(key).into_iter().enumerate() {
            if !seen.contains(&c) {
                holders[c as usize].push(s as u32);
            }
            seen[i] = c;
        }
    }
    let present: Vec<usize> = (0..n_ch).filter(|&c| !holders[c].is_empty()).collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(present.len().max(1));
    let mut solved: Vec<Result<(f64, f64, u32)>> = Vec::with_capacity(present.len());
    let chunk = present.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = present
            .chunks(chunk)
            .map(|part| {
                let (csr, chain, holders) = (&csr, &chain, &holders);
                scope.spawn(move || {
                    let mut removed = vec![false; n_states];
                    part.iter()
                        .map(|&c| {
                            for &s in &holders[c] {
                                removed[s as usize] = true;
                            }
                            let r = csr.absorb(&chain.start, total_start, &removed);
                            for &s in &holders[c] {
                                removed[s as usize] = false;
                            }
                            r
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(v) => solved.extend(v),
                Err(_) => solved.push(Err(Error::invalid_argument(
                    "journeys",
                    "a Markov removal solve panicked",
                ))),
            }
        }
    });
    let one = 1_000_000_000_000i64;
    let effect = |without: f64, base: f64| -> i64 {
        if base <= 0.0 {
            return 0;
        }
        ((1.0 - without / base) * one as f64)
            .round()
            .clamp(0.0, one as f64) as i64
    };
    let mut q_conv = vec![0u128; n_ch];
    let mut q_value = vec![0u128; n_ch];
    let mut removals = Vec::with_capacity(n_ch);
    let mut per_channel: Vec<Option<(f64, f64)>> = vec![None; n_ch];
    for (&c, r) in present.iter().zip(solved) {
        let (p, e, sw) = r?;
        sweeps = sweeps.max(sw);
        per_channel[c] = Some((p, e));
    }
    for c in 0..n_ch {
        let (p, e) = per_channel[c].unwrap_or((base_p, base_e));
        let (re, rev) = if per_channel[c].is_some() {
            (effect(p, base_p), effect(e, base_e))
        } else {
            (0, 0)
        };
        q_conv[c] = re as u128;
        q_value[c] = rev as u128;
        removals.push(RemovalEffect {
            channel: journeys.channels()[c].clone(),
            conversion_probability: prob(p),
            removal_effect: Decimal::new(re, 12),
            expected_value: money(e * mean_value),
            value_removal_effect: Decimal::new(rev, 12),
        });
    }
    let basis: Vec<Decimal> = removals.iter().map(|r| r.removal_effect).collect();
    let value_basis: Vec<Decimal> = removals.iter().map(|r| r.value_removal_effect).collect();
    let explanation = format!(
        "markov order {} ({} repeats): conversion probability {}, split by removal effects (exact absorbing-chain solve, {} states)",
        options.order,
        match options.repeats {
            Repeats::Collapse => "collapsed",
            Repeats::Keep => "kept",
        },
        prob(base_p).normalize(),
        n_states
    );
    let result = super::split(
        journeys,
        super::Model::Markov,
        explanation,
        &q_conv,
        &q_value,
        &super::converting_touches(journeys),
        basis,
        value_basis,
    )?;
    let report = MarkovReport {
        order: options.order,
        repeats: options.repeats,
        states: (0..n_states).map(|s| chain.name(journeys, s)).collect(),
        transitions: chain.transitions(journeys)?,
        conversion_probability: prob(base_p),
        expected_value: money(base_e * mean_value),
        removals,
        sweeps,
    };
    Ok((result, report))
}

fn prob(p: f64) -> Decimal {
    Decimal::from_f64_retain(p)
        .map(|d| d.round_dp(12))
        .unwrap_or_default()
}

fn money(v: f64) -> Decimal {
    Decimal::from_f64_retain(v)
        .map(|d| d.round_dp(6))
        .unwrap_or_default()
}

/// A state key: up to four channel codes + 1, oldest in the high bits, 0 for none.
fn unpack(key: u128) -> Vec<u32> {
    (0..4)
        .rev()
        .filter_map(|i| {
            let part = (key >> (32 * i)) as u32;
            (part != 0).then(|| part - 1)
        })
        .collect()
}

/// The counted chain, states in name order.
struct Chain {
    keys: Vec<u128>,
    start: Vec<u64>,
    /// (from, to) → count, sorted.
    moves: Vec<(u32, u32, u64)>,
    conv: Vec<u64>,
    nulls: Vec<u64>,
    value: Vec<i128>,
}

impl Chain {
    fn build(journeys: &Journeys, options: &MarkovOptions) -> Chain {
        let k = u32::from(options.order);
        let mask: u128 = if k >= 4 {
            u128::MAX
        } else {
            (1u128 << (32 * k)) - 1
        };
        let collapse = options.repeats == Repeats::Collapse;
        let n_ch = journeys.channels().len();
        // Order 1: states are channels; counts in a dense matrix when it is small.
        let dense = k == 1 && n_ch <= 1024;
        let mut ids: crate::intern::FxHashMap<u128, u32> = Default::default();
        let mut keys: Vec<u128> = Vec::new();
        if dense {
            keys = (0..n_ch as u128).map(|c| c + 1).collect();
        }
        let mut dense_moves = if dense {
            vec![0u64; n_ch * n_ch]
        } else {
            Vec::new()
        };
        let mut sparse_moves: crate::intern::FxHashMap<u64, u64> = Default::default();
        let mut start = vec![0u64; keys.len()];
        let mut conv = vec![0u64; keys.len()];
        let mut nulls = vec![0u64; keys.len()];
        let mut value = vec![0i128; keys.len()];
        for j in 0..journeys.len() {
            let (c, nu) = (journeys.conversions()[j], journeys.nulls()[j]);
            let w = c + nu;
            let mut key = 0u128;
            let mut prev = u32::MAX;
            let mut last_ch = u32::MAX;
            for &ch in journeys.path(j) {
                if collapse && ch == last_ch {
                    continue;
                }
                last_ch = ch;
                key = ((key << 32) | u128::from(ch + 1)) & mask;
                let s = if dense {
                    ch
                } else {
                    *ids.entry(key).or_insert_with(|| {
                        keys.push(key);
                        start.push(0);
                        conv.push(0);
                        nulls.push(0);
                        value.push(0);
                        keys.len() as u32 - 1
                    })
                };
                if prev == u32::MAX {
                    start[s as usize] += w;
                } else if dense {
                    dense_moves[prev as usize * n_ch + s as usize] += w;
                } else {
                    *sparse_moves
                        .entry((u64::from(prev) << 32) | u64::from(s))
                        .or_insert(0) += w;
                }
                prev = s;
            }
            conv[prev as usize] += c;
            nulls[prev as usize] += nu;
            value[prev as usize] += i128::from(journeys.values()[j]);
        }
        let mut moves: Vec<(u32, u32, u64)> = if dense {
            dense_moves
                .iter()
                .enumerate()
                .filter(|&(_, &n)| n > 0)
                .map(|(i, &n)| ((i / n_ch) as u32, (i % n_ch) as u32, n))
                .collect()
        } else {
            sparse_moves
                .iter()
                .map(|(&ft, &n)| ((ft >> 32) as u32, ft as u32, n))
                .collect()
        };
        // Keep the states some journey reached; renumber in name order.
        let mut reached = vec![false; keys.len()];
        for (s, r) in reached.iter_mut().enumerate() {
            *r = start[s] > 0 || conv[s] > 0 || nulls[s] > 0;
        }
        for &(_, t, _) in &moves {
            reached[t as usize] = true;
        }
        let mut order: Vec<u32> = (0..keys.len() as u32)
            .filter(|&s| reached[s as usize])
            .collect();
        order.sort_by_key(|&s| unpack(keys[s as usize]));
        let mut new_id = vec![u32::MAX; keys.len()];
        for (i, &s) in order.iter().enumerate() {
            new_id[s as usize] = i as u32;
        }
        let pick = |v: &[u64]| order.iter().map(|&s| v[s as usize]).collect::<Vec<_>>();
        for m in &mut moves {
            m.0 = new_id[m.0 as usize];
            m.1 = new_id[m.1 as usize];
        }
        moves.sort_unstable();
        Chain {
            keys: order.iter().map(|&s| keys[s as usize]).collect(),
            start: pick(&start),
            conv: pick(&conv),
            nulls: pick(&nulls),
            value: order.iter().map(|&s| value[s as usize]).collect(),
            moves,
        }
    }

    fn name(&self, journeys: &Journeys, s: usize) -> String {
        let names: Vec<&str> = unpack(self.keys[s])
            .into_iter()
            .map(|c| journeys.channels()[c as usize].as_str())
            .collect();
        names.join(" > ")
    }

    fn out(&self) -> Vec<u64> {
        let mut out: Vec<u64> = (0..self.keys.len())
            .map(|s| self.conv[s] + self.nulls[s])
            .collect();
        for &(f, _, n) in &self.moves {
            out[f as usize] += n;
        }
        out
    }

    /// The sparse rows; rewards scaled so a conversion is worth its value / `mean_value`.
    fn csr(&self, mean_value: f64) -> Csr {
        let n = self.keys.len();
        let out = self.out();
        let mut row_start = vec![0u32; n + 1];
        let mut cols = Vec::with_capacity(self.moves.len());
        let mut probs = Vec::with_capacity(self.moves.len());
        let mut diag = vec![0.0f64; n];
        for &(f, t, c) in &self.moves {
            let p = c as f64 / out[f as usize] as f64;
            if f == t {
                diag[f as usize] = p;
            } else {
                cols.push(t);
                probs.push(p);
                row_start[f as usize + 1] += 1;
            }
        }
        for s in 0..n {
            row_start[s + 1] += row_start[s];
        }
        let reward = (0..n)
            .map(|s| self.conv[s] as f64 / out[s] as f64)
            .collect();
        let value_reward = (0..n)
            .map(|s| {
                if mean_value > 0.0 {
                    self.value[s] as f64 / mean_value / out[s] as f64
                } else {
                    0.0
                }
            })
            .collect();
        Csr {
            row_start,
            cols,
            probs,
            diag,
            reward,
            value_reward,
        }
    }

    fn transitions(&self, journeys: &Journeys) -> Result<Vec<Transition>> {
        let out = self.out();
        let total: u64 = self.start.iter().sum();
        let mut v = Vec::with_capacity(self.moves.len() + 3 * self.keys.len());
        for (s, &n) in self.start.iter().enumerate() {
            if n > 0 {
                v.push(Transition {
                    from: "(start)".into(),
                    to: self.name(journeys, s),
                    count: n,
                    probability: super::ratio(u128::from(n), u128::from(total), 12)?,
                });
            }
        }
        let mut m = 0;
        for (s, &out_s) in out.iter().enumerate() {
            let from = self.name(journeys, s);
            let p = |n: u64| super::ratio(u128::from(n), u128::from(out_s), 12);
            while m < self.moves.len() && self.moves[m].0 as usize == s {
                let (_, t, n) = self.moves[m];
                v.push(Transition {
                    from: from.clone(),
                    to: self.name(journeys, t as usize),
                    count: n,
                    probability: p(n)?,
                });
                m += 1;
            }
            for (to, n) in [("(conversion)", self.conv[s]), ("(null)", self.nulls[s])] {
                if n > 0 {
                    v.push(Transition {
                        from: from.clone(),
                        to: to.into(),
                        count: n,
                        probability: p(n)?,
                    });
                }
            }
        }
        Ok(v)
    }
}

/// The transient part of the chain as sparse rows (self-loops apart).
struct Csr {
    row_start: Vec<u32>,
    cols: Vec<u32>,
    probs: Vec<f64>,
    diag: Vec<f64>,
    reward: Vec<f64>,
    value_reward: Vec<f64>,
}

impl Csr {
    /// Conversion probability and expected (scaled) value from the start with `removed`
    /// states sent to null, and the sweeps it took.
    fn absorb(&self, start: &[u64], total: u64, removed: &[bool]) -> Result<(f64, f64, u32)> {
        let n = self.diag.len();
        let mut x = vec![0.0f64; n];
        let mut y = vec![0.0f64; n];
        let mut sweeps = 0u32;
        loop {
            sweeps += 1;
            let mut delta = 0.0f64;
            // Backwards: successors tend to have higher codes within a journey's prefix
            // states, so this order usually passes news along faster.
            for s in (0..n).rev() {
                if removed[s] {
                    continue;
                }
                let (mut ax, mut ay) = (self.reward[s], self.value_reward[s]);
                for i in self.row_start[s] as usize..self.row_start[s + 1] as usize {
                    let t = self.cols[i] as usize;
                    ax += self.probs[i] * x[t];
                    ay += self.probs[i] * y[t];
                }
                let keep = 1.0 - self.diag[s];
                let (nx, ny) = (ax / keep, ay / keep);
                delta = delta.max((nx - x[s]).abs()).max((ny - y[s]).abs());
                x[s] = nx;
                y[s] = ny;
            }
            if delta <= MARKOV_TOLERANCE {
                break;
            }
            if sweeps >= MARKOV_MAX_SWEEPS {
                return Err(Error::invalid_argument(
                    "journeys",
                    format!(
                        "the Markov chain solve did not settle within {MARKOV_MAX_SWEEPS} sweeps (last change {delta:e})"
                    ),
                ));
            }
        }
        if total == 0 {
            return Ok((0.0, 0.0, sweeps));
        }
        let (mut p, mut e) = (0.0f64, 0.0f64);
        for (s, &c) in start.iter().enumerate() {
            if c > 0 {
                p += c as f64 * x[s];
                e += c as f64 * y[s];
            }
        }
        Ok((p / total as f64, e / total as f64, sweeps))
    }
}
