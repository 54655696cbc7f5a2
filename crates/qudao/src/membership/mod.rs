//! Member tiers and points (会员等级与积分, toward issue 3): each customer's points ledger
//! (earn, redeem, expire, reverse on return) and tier history as of any date, under a
//! [`TierScheme`] document.
//!
//! The rules, stated once (details in `docs/membership.md`):
//!
//! * Events of a customer are processed by date; within a day: expiries, then the downgrade
//!   review (if the day is a review date), then earnings by order id, then return reversals
//!   by return order id (then original order id), then bonuses by reference, then
//!   redemptions by reference. Nothing depends on the order of input rows.
//! * A sale order earns once per day: the sum of its sale lines that day × `per_unit` ×
//!   the tier's multiplier, rounded per the scheme. Points are lots with an expiry date;
//!   redemptions and reversals consume the oldest lots first.
//! * A return reverses what its amount earned: at the original order's rate when the return
//!   names an order this customer earned on, cumulatively (all returns of an order together
//!   never reverse more than it earned, and a full return reverses exactly that), else at the
//!   current tier's rate. What the balance cannot cover is recorded as a shortfall; the
//!   balance never goes negative.
//! * A redemption larger than the balance is an error.
//! * Bonus points ([`Bonus`], e.g. a rebate program paid in points, see
//!   [`crate::rebate::PointsAward`]) come from outside the sales data, through [`run_with`]. A
//!   positive bonus is a lot like an earning (same expiry); a negative one takes points back
//!   like a reversal (oldest lots first, never below zero, the rest recorded as shortfall).
//!   On a points-balance scheme bonus points count toward the tier like any other points; on
//!   a spend scheme they do not (no money was spent).
//! * Tiers: everyone starts at the first tier; after each event the basis (rolling spend, or
//!   balance) is compared with the thresholds; upgrades are immediate, downgrades happen only
//!   at review dates, to the tier the basis supports then.

mod scheme;

pub use scheme::{
    Basis, Benefits, CrossingPurchase, DEFAULT_TOML, Expiry, MAX_TIERS, PointsRounding, PointsRule,
    Review, RoundingPoint, Tier, TierScheme,
};

use std::collections::VecDeque;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::date::Date;
use crate::document::RuleDocument;
use crate::error::{Error, Location, Result};
use crate::intern::{FxHashMap, NONE};

/// A points redemption, given by the caller (redemptions are not in the sales data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    /// Customer id.
    pub customer: String,
    /// Day of the redemption.
    pub date: Date,
    /// Points redeemed (> 0).
    pub points: i64,
    /// The caller's reference (voucher, order, …).
    pub reference: String,
}

/// Bonus points given by the caller: points that do not come from the sales data, such as a
/// rebate program paid in points ([`crate::rebate::PointsAward`] converts with `From`), a
/// goodwill credit, or a campaign.
///
/// Positive points are credited as a lot on `date`, expiring like an earning of that day;
/// negative points take points back like a return reversal (oldest lots first; what the
/// balance cannot cover is recorded as a shortfall, the balance never goes negative).
///
/// ```
/// use qudao::membership::Bonus;
/// let b: Bonus = serde_json::from_str(
///     r#"{"customer": "C1", "date": "2025-03-31", "points": 120, "reference": "Q1-rebate"}"#,
/// )?;
/// assert_eq!(b.points, 120);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bonus {
    /// Customer id.
    pub customer: String,
    /// Day the points are credited (or taken back).
    pub date: Date,
    /// Points: positive to credit, negative to take back (a points rebate reversed); never 0.
    pub points: i64,
    /// The caller's reference (statement line, campaign, …).
    pub reference: String,
}

impl From<&crate::rebate::PointsAward> for Bonus {
    /// A rebate settlement's points award, credited on its date under its statement line id.
    fn from(a: &crate::rebate::PointsAward) -> Self {
        Bonus {
            customer: a.customer.clone(),
            date: a.date,
            points: a.points,
            reference: a.reference.clone(),
        }
    }
}

/// What a ledger entry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Points earned on a sale order.
    Earn,
    /// Points redeemed by the customer.
    Redeem,
    /// Points expired.
    Expire,
    /// Points taken back because of a return.
    Reverse,
    /// Bonus points credited (positive) or taken back (negative) by the caller ([`Bonus`]).
    Bonus,
}

/// Whose rate a reversal used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateSource {
    /// The tier in force at the event.
    CurrentTier,
    /// The rate the original order earned at.
    OriginalOrder,
}

/// One ledger entry. `points` is signed; `balance` is after the entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Index into [`Membership::customers`] (whose `id` is the customer id).
    pub customer: u32,
    /// Day.
    pub date: Date,
    /// Kind.
    pub kind: EntryKind,
    /// Points: positive for earnings and credited bonuses, negative otherwise.
    pub points: i64,
    /// Balance after the entry (never negative).
    pub balance: i64,
    /// Money behind the entry, minor units: the order's sales that day (earn), the returned
    /// amount, negative (reverse); 0 for redemptions and expiries.
    pub amount: i64,
    /// The sale order (earn), the return order (reverse), the caller's reference (redeem,
    /// bonus), or which earnings expired (expire).
    pub reference: String,
    /// The original order a return names, if any.
    pub original_order: Option<String>,
    /// Index into [`Membership::tiers`]: the tier whose rate applied (earn, reverse), or the
    /// tier in force (redeem, expire, bonus).
    pub tier: u8,
    /// Points per major currency unit applied; 0 for redemptions, expiries and bonuses.
    pub rate: Decimal,
    /// Where the rate came from (earn, reverse).
    pub rate_source: Option<RateSource>,
    /// Points a reversal (or a negative bonus) should have taken but the balance could not
    /// cover.
    pub shortfall: i64,
}

/// Why a tier changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeReason {
    /// The basis reached a higher threshold.
    Upgrade,
    /// At a review date the basis no longer supported the tier.
    DowngradeAtReview,
}

/// One tier change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierChange {
    /// Index into [`Membership::customers`].
    pub customer: u32,
    /// Day.
    pub date: Date,
    /// Tier before (index into [`Membership::tiers`]).
    pub from: u8,
    /// Tier after.
    pub to: u8,
    /// Why.
    pub reason: ChangeReason,
    /// The basis value that decided it (minor units of spend, or points).
    pub basis: i64,
    /// The order whose earning triggered an upgrade (none when a bonus, or spend leaving the
    /// window, did).
    pub order: Option<String>,
}

/// A customer's state as of the run's date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerState {
    /// Customer id.
    pub id: String,
    /// Tier (index into [`Membership::tiers`]).
    pub tier: u8,
    /// Points balance = earned − redeemed − expired − reversed + bonus.
    pub balance: i64,
    /// Points earned.
    pub earned: i64,
    /// Points redeemed.
    pub redeemed: i64,
    /// Points expired.
    pub expired: i64,
    /// Points reversed by returns (what was actually taken).
    pub reversed: i64,
    /// Points reversals and negative bonuses could not take (balance too low).
    pub shortfall: i64,
    /// Bonus points, net: credited minus what negative bonuses actually took back.
    #[serde(default)]
    pub bonus: i64,
    /// Net spend over the window ending on the run's date (spend basis only), minor units.
    pub rolling_spend: Option<i64>,
    /// The value the tier is judged on: rolling spend or balance.
    pub basis: i64,
    /// The tier the basis supports now; lower than `tier` means a downgrade at the next review.
    pub supported_tier: u8,
    /// The next tier up, if any.
    pub next_tier: Option<u8>,
    /// How much basis the next tier still needs.
    pub needed: Option<i64>,
    /// This customer's entries in [`Membership::ledger`].
    pub ledger: std::ops::Range<usize>,
    /// This customer's changes in [`Membership::history`].
    pub history: std::ops::Range<usize>,
}

/// Customers per tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierCount {
    /// Tier id.
    pub tier: String,
    /// Customers in it.
    pub customers: u64,
}

/// The result of [`run`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    /// The scheme's id.
    pub scheme: String,
    /// The date the state is as of (events after it are ignored).
    pub as_of: Date,
    /// Tier ids; entries and states refer to tiers by index into this list.
    pub tiers: Vec<String>,
    /// Every customer of the data set, sorted by id.
    pub customers: Vec<CustomerState>,
    /// Every entry, grouped by customer (in `customers` order), each customer's in event order.
    pub ledger: Vec<LedgerEntry>,
    /// Tier changes, grouped by customer like the ledger.
    pub history: Vec<TierChange>,
    /// Customers per tier as of `as_of`.
    pub tier_counts: Vec<TierCount>,
    /// Reversals (and negative bonuses) that met a balance too low to cover them.
    pub shortfall_entries: u64,
    /// Points those entries could not take.
    pub shortfall_points: i64,
    /// The first review date after `as_of`.
    pub next_review: Date,
}

impl Membership {
    /// The index and state of a customer.
    pub fn customer(&self, id: &str) -> Option<(usize, &CustomerState)> {
        let i = self
            .customers
            .binary_search_by(|c| c.id.as_str().cmp(id))
            .ok()?;
        Some((i, &self.customers[i]))
    }

    /// A customer's ledger (empty for an unknown id).
    pub fn ledger_of(&self, id: &str) -> &[LedgerEntry] {
        self.customer(id)
            .map_or(&[], |(_, c)| &self.ledger[c.ledger.clone()])
    }

    /// A customer's tier history (empty for an unknown id).
    pub fn history_of(&self, id: &str) -> &[TierChange] {
        self.customer(id)
            .map_or(&[], |(_, c)| &self.history[c.history.clone()])
    }

    /// The id of a tier index.
    pub fn tier_id(&self, tier: u8) -> &str {
        self.tiers.get(usize::from(tier)).map_or("", String::as_str)
    }
}

/// Compute every customer's points ledger, tier history and state as of `as_of`, with no
/// bonus points: [`run_with`] with an empty `bonuses`.
///
/// Only transactions and redemptions dated on or before `as_of` count. Errors: an invalid
/// scheme, a scheme currency other than the data's, an unknown customer or non-positive
/// points in a redemption, a redemption larger than the balance at that moment, overflow.
///
/// ```
/// use qudao::membership::{run, Redemption, TierScheme};
/// use qudao::document::RuleDocument;
/// use qudao::ingest::csv::{load_dir, LoadOptions};
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/tiny");
/// let data = load_dir(dir.as_ref(), &LoadOptions::default())?;
/// let scheme = TierScheme::builtin_default();
/// let redeem = [Redemption { customer: "C1".into(), date: "2025-03-01".parse()?,
///                            points: 50, reference: "R1".into() }];
/// let m = run(&data, &scheme, &redeem, "2025-03-31".parse()?)?;
/// // C1 bought ¥215.00 (215 points), returned ¥25.00 of it (−25), redeemed 50.
/// let c1 = m.customer("C1").unwrap().1;
/// assert_eq!((c1.earned, c1.reversed, c1.redeemed, c1.balance), (215, 25, 50, 140));
/// assert_eq!(m.tier_id(c1.tier), "regular");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run(
    dataset: &Dataset,
    scheme: &TierScheme,
    redemptions: &[Redemption],
    as_of: Date,
) -> Result<Membership> {
    run_with(dataset, scheme, redemptions, &[], as_of)
}

/// Compute every customer's points ledger, tier history and state as of `as_of`, with bonus
/// points from outside the sales data (a rebate program paid in points, campaigns).
///
/// Within a day, bonuses come after the day's earnings and reversals and before its
/// redemptions, ordered by reference (then points, then input position). A positive bonus
/// is a lot that expires like an earning of its day and, on a points-balance scheme, counts
/// toward an upgrade; a negative bonus takes points back like a reversal. Errors as
/// [`run`], plus an unknown customer or zero points in a bonus (`Error::Data`, source
/// `bonuses`, line = index + 1). Bonuses after `as_of` are ignored.
///
/// ```
/// use qudao::membership::{run_with, Bonus, TierScheme};
/// use qudao::ingest::csv::{load_dir, LoadOptions};
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/tiny");
/// let data = load_dir(dir.as_ref(), &LoadOptions::default())?;
/// let bonus = [Bonus { customer: "C1".into(), date: "2025-03-31".parse()?,
///                      points: 60, reference: "Q1 rebate".into() }];
/// let m = run_with(&data, &TierScheme::builtin_default(), &[], &bonus, "2025-03-31".parse()?)?;
/// // C1 bought ¥215.00 (215 points), returned ¥25.00 of it (−25), got a 60-point bonus.
/// let c1 = m.customer("C1").unwrap().1;
/// assert_eq!((c1.earned, c1.reversed, c1.bonus, c1.balance), (215, 25, 60, 250));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run_with(
    dataset: &Dataset,
    scheme: &TierScheme,
    redemptions: &[Redemption],
    bonuses: &[Bonus],
    as_of: Date,
) -> Result<Membership> {
    scheme.validate()?;
    let currency = &dataset.master.currency;
    if scheme.currency != currency.code {
        return Err(Error::invalid_argument(
            "scheme",
            format!(
                "tier scheme {:?} counts in {} but the data is in {}",
                scheme.id, scheme.currency, currency.code
            ),
        ));
    }
    let rates = scheme.rates()?;
    let customers = &dataset.master.customers;
    let n = customers.len();
    if n >= (1usize << 31) {
        return Err(Error::invalid_argument(
            "dataset",
            "more than 2^31 customers",
        ));
    }
    // Customers in id order: results and errors never depend on how codes were assigned.
    let mut by_id: Vec<u32> = (0..n as u32).collect();
    by_id.sort_unstable_by(|&a, &b| customers.id(a).cmp(customers.id(b)));
    let mut rank = vec![0u32; n];
    for (r, &c) in by_id.iter().enumerate() {
        rank[c as usize] = r as u32;
    }

    let events = tx_events(dataset, &rank, as_of)?;
    let reds = caller_events(
        dataset,
        &rank,
        redemptions
            .iter()
            .map(|r| (&r.customer, r.date, r.points, &r.reference)),
        "redemptions",
        as_of,
    )?;
    let bons = caller_events(
        dataset,
        &rank,
        bonuses
            .iter()
            .map(|b| (&b.customer, b.date, b.points, &b.reference)),
        "bonuses",
        as_of,
    )?;

    let mut st = Runner {
        scheme,
        rates: &rates,
        exponent: u32::from(currency.exponent),
        dataset,
        as_of,
        // One entry per event, plus expiries (at most one per earning).
        out_ledger: Vec::with_capacity(events.len() + reds.len() + bons.len()),
        out_history: Vec::new(),
        lots: VecDeque::new(),
        window: VecDeque::new(),
        earned_on: FxHashMap::default(),
        c: Cust::default(),
        expiries: ExpiryTable::new(scheme.expiry, &events, as_of),
    };
    let mut states = Vec::with_capacity(n);
    let (mut ei, mut ri, mut bi) = (0usize, 0usize, 0usize);
    for (r, &code) in by_id.iter().enumerate() {
        let r = r as u32;
        let e0 = ei;
        while ei < events.len() && events[ei].rank == r {
            ei += 1;
        }
        let r0 = ri;
        while ri < reds.len() && reds[ri].rank == r {
            ri += 1;
        }
        let b0 = bi;
        while bi < bons.len() && bons[bi].rank == r {
            bi += 1;
        }
        let (l0, h0) = (st.out_ledger.len(), st.out_history.len());
        st.customer(
            r,
            &events[e0..ei],
            (&reds[r0..ri], redemptions),
            (&bons[b0..bi], bonuses),
        )?;
        states.push(st.state(
            customers.id(code),
            l0..st.out_ledger.len(),
            h0..st.out_history.len(),
        ));
    }

    let mut counts = vec![0u64; scheme.tiers.len()];
    for s in &states {
        counts[usize::from(s.tier)] += 1;
    }
    let shortfall_entries = st.out_ledger.iter().filter(|e| e.shortfall > 0).count() as u64;
    let shortfall_points = states.iter().try_fold(0i64, |a, s| {
        a.checked_add(s.shortfall)
            .ok_or_else(|| Error::overflow("shortfall points"))
    })?;
    Ok(Membership {
        scheme: scheme.id.clone(),
        as_of,
        tiers: scheme.tiers.iter().map(|t| t.id.clone()).collect(),
        customers: states,
        ledger: st.out_ledger,
        history: st.out_history,
        tier_counts: scheme
            .tiers
            .iter()
            .zip(counts)
            .map(|(t, customers)| TierCount {
                tier: t.id.clone(),
                customers,
            })
            .collect(),
        shortfall_entries,
        shortfall_points,
        next_review: scheme.review.on_or_after(as_of.add_days(1)),
    })
}

/// A sale order's sales of one day, or a return order's returns of one day against one
/// original order.
#[derive(Debug, Clone, Copy)]
struct TxEvent {
    rank: u32,
    date: i32,
    is_return: bool,
    order: u32,
    original: u32,
    amount: i64,
}

/// Group the lines into events, sorted by customer rank, date, sales before returns, order id.
fn tx_events(dataset: &Dataset, rank: &[u32], as_of: Date) -> Result<Vec<TxEvent>> {
    // Sort key, most significant first: rank (31 bits) | date + 2^31 (32) | return (1) |
    // order code (32) | original order code (32).
    let mut keys: Vec<(u128, i64)> = Vec::new();
    for chunk in &dataset.transactions.chunks {
        for i in 0..chunk.len() {
            let date = chunk.date[i];
            if date > as_of.0 {
                continue;
            }
            let c = chunk.customer[i];
            let Some(&r) = rank.get(c as usize) else {
                return Err(Error::invalid_argument(
                    "dataset",
                    format!("line {i} of a chunk names customer code {c}, not in the master data"),
                ));
            };
            let ret = chunk.is_return(i);
            let original = if ret { chunk.original_order[i] } else { NONE };
            let d = (i64::from(date) - i64::from(i32::MIN)) as u128;
            let key = (u128::from(r) << 97)
                | (d << 65)
                | (u128::from(ret) << 64)
                | (u128::from(chunk.order[i]) << 32)
                | u128::from(original);
            keys.push((key, chunk.amount[i]));
        }
    }
    keys.sort_unstable_by_key(|k| k.0);
    let mut events: Vec<TxEvent> = Vec::new();
    let mut i = 0;
    while i < keys.len() {
        let key = keys[i].0;
        let mut sum: i128 = 0;
        while i < keys.len() && keys[i].0 == key {
            sum += i128::from(keys[i].1);
            i += 1;
        }
        let amount =
            i64::try_from(sum).map_err(|_| Error::overflow("an order's amount of a day"))?;
        events.push(TxEvent {
            rank: (key >> 97) as u32,
            date: (((key >> 65) & 0xFFFF_FFFF) as i64 + i64::from(i32::MIN)) as i32,
            is_return: (key >> 64) & 1 == 1,
            order: (key >> 32) as u32,
            original: key as u32,
            amount,
        });
    }
    // Codes follow input order; within a customer's day and kind, order by the ids instead.
    let orders = &dataset.transactions.orders;
    if !orders.is_empty() {
        let mut a = 0;
        while a < events.len() {
            let e = events[a];
            let mut b = a + 1;
            while b < events.len()
                && events[b].rank == e.rank
                && events[b].date == e.date
                && events[b].is_return == e.is_return
            {
                b += 1;
            }
            if b - a > 1 {
                events[a..b].sort_by(|x, y| {
                    (orders.get(x.order), orders.get(x.original))
                        .cmp(&(orders.get(y.order), orders.get(y.original)))
                });
            }
            a = b;
        }
    }
    Ok(events)
}

/// A checked redemption or bonus: customer rank, date, index into the caller's slice.
#[derive(Debug, Clone, Copy)]
struct RedEvent {
    rank: u32,
    date: i32,
    index: usize,
}

/// Check the caller's redemptions or bonuses (`source`), given as `(customer, date, points,
/// reference)`, and sort those on or before `as_of` by customer rank, date, reference, points,
/// then input position. Redemptions need positive points; bonuses any but zero.
fn caller_events<'a>(
    dataset: &Dataset,
    rank: &[u32],
    rows: impl Iterator<Item = (&'a String, Date, i64, &'a String)>,
    source: &str,
    as_of: Date,
) -> Result<Vec<RedEvent>> {
    let loc = |i: usize, column: &str, value: String| Location {
        source: source.into(),
        line: i as u64 + 1,
        column: Some(column.into()),
        value: Some(value),
    };
    let bonus = source == "bonuses";
    let mut keyed = Vec::new();
    for (i, (customer, date, points, reference)) in rows.enumerate() {
        let Some(code) = dataset.master.customers.code(customer) else {
            return Err(Error::data(
                loc(i, "customer", customer.clone()),
                format!("unknown customer {customer:?} (reference {reference:?})"),
            ));
        };
        let bad = if bonus { points == 0 } else { points <= 0 };
        if bad {
            let what = if bonus {
                "a bonus of 0 points does nothing; give a positive number to credit, negative to take back"
            } else {
                "redeem a positive number of points"
            };
            return Err(Error::data(
                loc(i, "points", points.to_string()),
                format!("customer {customer:?} on {date}, reference {reference:?}: {what}"),
            ));
        }
        if date <= as_of {
            let ev = RedEvent {
                rank: rank[code as usize],
                date: date.0,
                index: i,
            };
            keyed.push((ev, reference, points));
        }
    }
    keyed.sort_unstable_by(|(a, ra, pa), (b, rb, pb)| {
        (a.rank, a.date, ra, pa, a.index).cmp(&(b.rank, b.date, rb, pb, b.index))
    });
    Ok(keyed.into_iter().map(|k| k.0).collect())
}

/// Points earned together: what is left of them and when they expire.
#[derive(Debug, Clone, Copy)]
struct Lot {
    earned_on: i32,
    expires: i32,
    remaining: i64,
}

/// What a sale order earned, for reversing its returns.
#[derive(Debug, Clone, Copy)]
struct Earned {
    tier: u8,
    points: i64,
    /// Returned so far, minor units (positive).
    returned: i128,
    /// Points its returns so far were due to reverse.
    due: i64,
}

/// One customer's running state.
#[derive(Debug, Default)]
struct Cust {
    rank: u32,
    tier: u8,
    balance: i64,
    earned: i64,
    redeemed: i64,
    expired: i64,
    reversed: i64,
    shortfall: i64,
    bonus: i64,
    spend: i128,
    next_review: i32,
}

struct Runner<'a> {
    scheme: &'a TierScheme,
    rates: &'a [Decimal],
    exponent: u32,
    dataset: &'a Dataset,
    as_of: Date,
    out_ledger: Vec<LedgerEntry>,
    out_history: Vec<TierChange>,
    lots: VecDeque<Lot>,
    /// Net spend per day inside the rolling window.
    window: VecDeque<(i32, i64)>,
    earned_on: FxHashMap<u32, Earned>,
    c: Cust,
    expiries: ExpiryTable,
}

/// The expiry day of points earned on each day from the first event to `as_of`, so the
/// calendar arithmetic runs once per day rather than once per order.
#[derive(Debug)]
struct ExpiryTable {
    rule: Expiry,
    first: i32,
    days: Vec<i32>,
}

impl ExpiryTable {
    fn new(rule: Expiry, events: &[TxEvent], as_of: Date) -> Self {
        let first = events.iter().map(|e| e.date).min().unwrap_or(as_of.0);
        let span = i64::from(as_of.0) - i64::from(first) + 1;
        let days = if matches!(rule, Expiry::EndOfMonth { .. }) && (1..=400_000).contains(&span) {
            (first..=as_of.0).map(|d| Self::compute(rule, d)).collect()
        } else {
            Vec::new()
        };
        ExpiryTable { rule, first, days }
    }

    fn compute(rule: Expiry, day: i32) -> i32 {
        rule.expires_on(Date(day)).map_or(i32::MAX, |d| d.0)
    }

    fn get(&self, day: i32) -> i32 {
        usize::try_from(i64::from(day) - i64::from(self.first))
            .ok()
            .and_then(|i| self.days.get(i).copied())
            .unwrap_or_else(|| Self::compute(self.rule, day))
    }
}

impl std::fmt::Debug for Runner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("c", &self.c)
            .finish_non_exhaustive()
    }
}

fn add(a: i64, b: i64, what: &str) -> Result<i64> {
    a.checked_add(b).ok_or_else(|| Error::overflow(what))
}

impl Runner<'_> {
    fn customer(
        &mut self,
        rank: u32,
        events: &[TxEvent],
        (reds, redemptions): (&[RedEvent], &[Redemption]),
        (bons, bonuses): (&[RedEvent], &[Bonus]),
    ) -> Result<()> {
        self.c = Cust {
            rank,
            next_review: self.scheme.review.anchor.0,
            ..Cust::default()
        };
        self.lots.clear();
        self.window.clear();
        self.earned_on.clear();
        if events.is_empty() && reds.is_empty() && bons.is_empty() {
            return Ok(());
        }
        let (mut e, mut r, mut b) = (0, 0, 0);
        loop {
            let next = [
                events.get(e).map(|x| x.date),
                reds.get(r).map(|x| x.date),
                bons.get(b).map(|x| x.date),
            ];
            let Some(day) = next.into_iter().flatten().min() else {
                break;
            };
            self.advance(day)?;
            while let Some(ev) = events.get(e).filter(|ev| ev.date == day) {
                if ev.is_return {
                    self.reverse(ev)?;
                } else {
                    self.earn(ev)?;
                }
                e += 1;
            }
            while let Some(bn) = bons.get(b).filter(|bn| bn.date == day) {
                self.bonus(&bonuses[bn.index])?;
                b += 1;
            }
            while let Some(rd) = reds.get(r).filter(|rd| rd.date == day) {
                self.redeem(&redemptions[rd.index], rd.index)?;
                r += 1;
            }
        }
        self.advance(self.as_of.0)?;
        Ok(())
    }

    /// Process expiries and reviews up to and including the start of `day`, in date order
    /// (an expiry before a review on the same day).
    fn advance(&mut self, day: i32) -> Result<()> {
        loop {
            let exp = self.lots.front().map(|l| l.expires).filter(|&x| x <= day);
            let rev = (self.c.tier > 0 && self.c.next_review <= day).then_some(self.c.next_review);
            match (exp, rev) {
                (Some(x), r) if r.is_none_or(|r| x <= r) => self.expire(x)?,
                (_, Some(r)) => self.review(r),
                _ => break,
            }
        }
        if self.c.next_review <= day {
            // At the first tier a review changes nothing: skip to the next one after `day`.
            self.c.next_review = self.scheme.review.on_or_after(Date(day).add_days(1)).0;
        }
        Ok(())
    }

    fn slide(&mut self, day: i32) {
        if let Basis::RollingSpend { window_days } = self.scheme.basis {
            let start = i64::from(day) - i64::from(window_days);
            while let Some(&(d, a)) = self.window.front() {
                if i64::from(d) > start {
                    break;
                }
                self.c.spend -= i128::from(a);
                self.window.pop_front();
                if a < 0 {
                    // A day of net returns left the window: spend rose with no purchase,
                    // and upgrades are immediate — on the day it left.
                    let left = i64::from(d) + i64::from(window_days);
                    self.upgrade(i32::try_from(left).unwrap_or(day).min(day), None);
                }
            }
        }
    }

    fn spend_add(&mut self, day: i32, amount: i64) {
        if matches!(self.scheme.basis, Basis::RollingSpend { .. }) {
            self.c.spend += i128::from(amount);
            match self.window.back_mut() {
                Some((d, a)) if *d == day => *a = a.saturating_add(amount),
                _ => self.window.push_back((day, amount)),
            }
        }
    }

    fn basis(&self) -> i128 {
        match self.scheme.basis {
            Basis::RollingSpend { .. } => self.c.spend,
            Basis::PointsBalance => i128::from(self.c.balance),
        }
    }

    fn basis_i64(&self) -> i64 {
        self.basis()
            .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    fn points(&self, amount: i128, tier: u8) -> Result<i64> {
        let rate = self.rates[usize::from(tier)];
        Decimal::try_from_i128_with_scale(amount, self.exponent)
            .ok()
            .and_then(|a| a.checked_mul(rate))
            .map(|p| p.round_dp_with_strategy(0, self.scheme.points.rounding.strategy()))
            .and_then(|p| i64::try_from(p).ok())
            .ok_or_else(|| Error::overflow("points of an order"))
    }

    fn entry(&mut self, date: i32, kind: EntryKind, points: i64, tier: u8) -> &mut LedgerEntry {
        self.out_ledger.push(LedgerEntry {
            customer: self.c.rank,
            date: Date(date),
            kind,
            points,
            balance: self.c.balance,
            amount: 0,
            reference: String::new(),
            original_order: None,
            tier,
            rate: Decimal::ZERO,
            rate_source: None,
            shortfall: 0,
        });
        let last = self.out_ledger.len() - 1;
        &mut self.out_ledger[last]
    }

    /// Take `points` from the oldest lots (the caller checked the balance covers them).
    fn consume(&mut self, mut points: i64) {
        while points > 0 {
            let Some(lot) = self.lots.front_mut() else {
                break;
            };
            let take = lot.remaining.min(points);
            lot.remaining -= take;
            points -= take;
            if lot.remaining == 0 {
                self.lots.pop_front();
            }
        }
    }

    fn upgrade(&mut self, date: i32, order: Option<u32>) {
        let sup = self.scheme.tier_for(self.basis()) as u8;
        if sup > self.c.tier {
            self.out_history.push(TierChange {
                customer: self.c.rank,
                date: Date(date),
                from: self.c.tier,
                to: sup,
                reason: ChangeReason::Upgrade,
                basis: self.basis_i64(),
                order: order.map(|o| self.dataset.transactions.order_id(o)),
            });
            self.c.tier = sup;
        }
    }

    fn earn(&mut self, ev: &TxEvent) -> Result<()> {
        self.slide(ev.date);
        let tier = match self.scheme.points.crossing_purchase {
            CrossingPurchase::EarnsAtOldTier => self.c.tier,
            CrossingPurchase::EarnsAtNewTier => {
                let after = self.c.spend + i128::from(ev.amount);
                self.c.tier.max(self.scheme.tier_for(after) as u8)
            }
        };
        let points = self.points(i128::from(ev.amount), tier)?;
        self.c.balance = add(self.c.balance, points, "a points balance")?;
        self.c.earned = add(self.c.earned, points, "points earned")?;
        if points > 0 {
            let expires = self.expiries.get(ev.date);
            self.lots.push_back(Lot {
                earned_on: ev.date,
                expires,
                remaining: points,
            });
        }
        self.spend_add(ev.date, ev.amount);
        let rec = self.earned_on.entry(ev.order).or_insert(Earned {
            tier,
            points: 0,
            returned: 0,
            due: 0,
        });
        rec.points = rec.points.saturating_add(points);
        let reference = self.dataset.transactions.order_id(ev.order);
        let rate = self.rates[usize::from(tier)];
        let e = self.entry(ev.date, EntryKind::Earn, points, tier);
        e.amount = ev.amount;
        e.reference = reference;
        e.rate = rate;
        e.rate_source = Some(RateSource::CurrentTier);
        self.upgrade(ev.date, Some(ev.order));
        Ok(())
    }

    fn reverse(&mut self, ev: &TxEvent) -> Result<()> {
        self.slide(ev.date);
        let returned = -i128::from(ev.amount);
        let known = (ev.original != NONE)
            .then(|| self.earned_on.get(&ev.original).copied())
            .flatten();
        let (due, tier, source) = match known {
            Some(mut rec) => {
                rec.returned += returned;
                let total = self.points(rec.returned, rec.tier)?.min(rec.points);
                let due = (total - rec.due).max(0);
                rec.due = rec.due.max(total);
                self.earned_on.insert(ev.original, rec);
                (due, rec.tier, RateSource::OriginalOrder)
            }
            None => (
                self.points(returned, self.c.tier)?,
                self.c.tier,
                RateSource::CurrentTier,
            ),
        };
        let take = due.min(self.c.balance);
        self.consume(take);
        self.c.balance -= take;
        self.c.reversed = add(self.c.reversed, take, "points reversed")?;
        self.c.shortfall = add(self.c.shortfall, due - take, "points shortfall")?;
        self.spend_add(ev.date, ev.amount);
        let reference = self.dataset.transactions.order_id(ev.order);
        let original =
            (ev.original != NONE).then(|| self.dataset.transactions.order_id(ev.original));
        let rate = self.rates[usize::from(tier)];
        let e = self.entry(ev.date, EntryKind::Reverse, -take, tier);
        e.amount = ev.amount;
        e.reference = reference;
        e.original_order = original;
        e.rate = rate;
        e.rate_source = Some(source);
        e.shortfall = due - take;
        Ok(())
    }

    fn redeem(&mut self, r: &Redemption, index: usize) -> Result<()> {
        if r.points > self.c.balance {
            return Err(Error::data(
                Location {
                    source: "redemptions".into(),
                    line: index as u64 + 1,
                    column: Some("points".into()),
                    value: Some(r.points.to_string()),
                },
                format!(
                    "customer {:?} on {}, reference {:?}: redeems {} points but the balance is {}",
                    r.customer, r.date, r.reference, r.points, self.c.balance
                ),
            ));
        }
        self.consume(r.points);
        self.c.balance -= r.points;
        self.c.redeemed = add(self.c.redeemed, r.points, "points redeemed")?;
        let tier = self.c.tier;
        let e = self.entry(r.date.0, EntryKind::Redeem, -r.points, tier);
        e.reference = r.reference.clone();
        Ok(())
    }

    /// Credit a positive bonus as a lot (expiring like an earning of its day; an upgrade on a
    /// points basis), or take a negative one back like a reversal.
    fn bonus(&mut self, b: &Bonus) -> Result<()> {
        let day = b.date.0;
        self.slide(day);
        let tier = self.c.tier;
        let (points, shortfall) = if b.points > 0 {
            self.c.balance = add(self.c.balance, b.points, "a points balance")?;
            self.lots.push_back(Lot {
                earned_on: day,
                expires: self.expiries.get(day),
                remaining: b.points,
            });
            (b.points, 0)
        } else {
            let due = b
                .points
                .checked_neg()
                .ok_or_else(|| Error::overflow("bonus points"))?;
            let take = due.min(self.c.balance);
            self.consume(take);
            self.c.balance -= take;
            (-take, due - take)
        };
        self.c.bonus = add(self.c.bonus, points, "bonus points")?;
        self.c.shortfall = add(self.c.shortfall, shortfall, "points shortfall")?;
        let e = self.entry(day, EntryKind::Bonus, points, tier);
        e.reference = b.reference.clone();
        e.shortfall = shortfall;
        if points > 0 {
            self.upgrade(day, None);
        }
        Ok(())
    }

    fn expire(&mut self, day: i32) -> Result<()> {
        let mut sum = 0i64;
        let (mut first, mut last) = (i32::MAX, i32::MIN);
        while let Some(l) = self.lots.front().filter(|l| l.expires <= day) {
            sum = add(sum, l.remaining, "points expired")?;
            first = first.min(l.earned_on);
            last = last.max(l.earned_on);
            self.lots.pop_front();
        }
        self.c.balance -= sum;
        self.c.expired = add(self.c.expired, sum, "points expired")?;
        let tier = self.c.tier;
        let e = self.entry(day, EntryKind::Expire, -sum, tier);
        e.reference = if first == last {
            format!("earned {}", Date(first))
        } else {
            format!("earned {} to {}", Date(first), Date(last))
        };
        Ok(())
    }

    fn review(&mut self, day: i32) {
        self.slide(day);
        let sup = self.scheme.tier_for(self.basis()) as u8;
        if sup < self.c.tier {
            self.out_history.push(TierChange {
                customer: self.c.rank,
                date: Date(day),
                from: self.c.tier,
                to: sup,
                reason: ChangeReason::DowngradeAtReview,
                basis: self.basis_i64(),
                order: None,
            });
            self.c.tier = sup;
        }
        self.c.next_review = self.scheme.review.on_or_after(Date(day).add_days(1)).0;
    }

    fn state(
        &mut self,
        id: &str,
        ledger: std::ops::Range<usize>,
        history: std::ops::Range<usize>,
    ) -> CustomerState {
        self.slide(self.as_of.0);
        let basis = self.basis_i64();
        let tier = self.c.tier;
        let next = usize::from(tier) + 1;
        let next_threshold = self.scheme.tiers.get(next).map(|t| t.threshold);
        CustomerState {
            id: id.to_owned(),
            tier,
            balance: self.c.balance,
            earned: self.c.earned,
            redeemed: self.c.redeemed,
            expired: self.c.expired,
            reversed: self.c.reversed,
            shortfall: self.c.shortfall,
            bonus: self.c.bonus,
            rolling_spend: matches!(self.scheme.basis, Basis::RollingSpend { .. }).then_some(basis),
            basis,
            supported_tier: self.scheme.tier_for(self.basis()) as u8,
            next_tier: next_threshold.map(|_| next as u8),
            needed: next_threshold.map(|t| t.saturating_sub(basis)),
            ledger,
            history,
        }
    }
}
