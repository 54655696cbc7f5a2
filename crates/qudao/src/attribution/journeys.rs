//! Journeys: the touch sequences that ended in a conversion or in nothing, held column-wise.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::date::Timestamp;
use crate::error::{Error, Location, Result};

use super::settings::{ConversionRule, ExpiredTouches, JourneyOptions};

/// A set of journeys, column-wise and canonical.
///
/// Channels are interned and listed in name order (byte-wise); journey `j` is the touches
/// `touches[offsets[j]..offsets[j + 1]]` (channel codes, oldest first), with, when the set was
/// built from timed touches, each touch's age: seconds from the touch to the conversion (to
/// the journey's last touch for a null journey). Journeys are sorted by their channel sequence
/// (then ages) and identical journeys are merged, adding their conversions, values and nulls;
/// journeys with neither conversions nor nulls are left out. So two constructions of the same
/// journeys give equal sets, whatever the input order.
#[derive(Debug, Clone)]
pub struct Journeys {
    channels: Vec<String>,
    offsets: Vec<u32>,
    touches: Vec<u32>,
    ages: Option<Vec<i64>>,
    conversions: Vec<u64>,
    values: Vec<i64>,
    nulls: Vec<u64>,
    total_conversions: u64,
    total_value: i64,
    total_nulls: u64,
    touch_cost: Vec<i64>,
    stats: JourneyStats,
}

/// Equal journeys, channels, counts and values; statistics and touch costs are not compared.
impl PartialEq for Journeys {
    fn eq(&self, o: &Self) -> bool {
        self.channels == o.channels
            && self.offsets == o.offsets
            && self.touches == o.touches
            && self.ages == o.ages
            && self.conversions == o.conversions
            && self.values == o.values
            && self.nulls == o.nulls
    }
}

/// How a journey set was built: what was read, dropped and left unattributed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JourneyStats {
    /// Touch rows read.
    pub touches_read: u64,
    /// Conversion rows read (or path rows).
    pub conversions_read: u64,
    /// Journeys before identical ones were merged.
    pub journeys_built: u64,
    /// Null journeys among them.
    pub null_journeys: u64,
    /// Touches older than the lookback window before the next conversion.
    pub expired_touches: u64,
    /// Of those, touches dropped (with `expired_touches = drop`).
    pub dropped_touches: u64,
    /// Conversions without a touch in their window: not attributed to any channel.
    pub unattributed_conversions: u64,
    /// Their value, minor units.
    pub unattributed_value: i64,
}

/// A touchpoint as input: customer and channel by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TouchInput<'a> {
    /// Customer id.
    pub customer: &'a str,
    /// When.
    pub time: Timestamp,
    /// Channel name.
    pub channel: &'a str,
    /// Cost of the touch, minor units (not negative).
    pub cost: i64,
}

/// A conversion as input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConversionInput<'a> {
    /// Customer id.
    pub customer: &'a str,
    /// When.
    pub time: Timestamp,
    /// Conversion value, minor units (not negative).
    pub value: i64,
}

/// An aggregated path row, as the ChannelAttribution package takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathRow<'a> {
    /// Channels separated by `>`: `a > b > c` (spaces around names are trimmed).
    pub path: &'a str,
    /// Conversions (not negative).
    pub conversions: i64,
    /// Conversion value, minor units (not negative; zero when there are no conversions).
    pub value: i64,
    /// Journeys along this path that did not convert (not negative).
    pub nulls: i64,
}

/// A journey written back as a path row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathRecord {
    /// `a > b > c`.
    pub path: String,
    /// Conversions.
    pub conversions: u64,
    /// Conversion value, minor units.
    pub value: i64,
    /// Null journeys.
    pub nulls: u64,
}

impl Journeys {
    /// The channels, in name order; touch codes index this list.
    pub fn channels(&self) -> &[String] {
        &self.channels
    }

    /// Code of a channel name.
    pub fn channel_code(&self, name: &str) -> Option<u32> {
        self.channels
            .binary_search_by(|c| c.as_str().cmp(name))
            .ok()
            .map(|i| i as u32)
    }

    /// Number of (merged) journeys.
    pub fn len(&self) -> usize {
        self.conversions.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.conversions.is_empty()
    }

    /// Offsets of each journey into [`Journeys::touches`] (one more than there are journeys).
    pub fn offsets(&self) -> &[u32] {
        &self.offsets
    }

    /// All touches, journey after journey (channel codes).
    pub fn touches(&self) -> &[u32] {
        &self.touches
    }

    /// The touches of journey `j`, oldest first.
    pub fn path(&self, j: usize) -> &[u32] {
        &self.touches[self.offsets[j] as usize..self.offsets[j + 1] as usize]
    }

    /// Whether the touches carry ages (built from timed touchpoints).
    pub fn has_times(&self) -> bool {
        self.ages.is_some()
    }

    /// The age of every touch in seconds, parallel to [`Journeys::touches`], if known.
    pub fn all_ages(&self) -> Option<&[i64]> {
        self.ages.as_deref()
    }

    /// The touch ages of journey `j` in seconds, if known.
    pub fn ages(&self, j: usize) -> Option<&[i64]> {
        self.ages
            .as_ref()
            .map(|a| &a[self.offsets[j] as usize..self.offsets[j + 1] as usize])
    }

    /// Conversions per journey.
    pub fn conversions(&self) -> &[u64] {
        &self.conversions
    }

    /// Conversion value per journey, minor units.
    pub fn values(&self) -> &[i64] {
        &self.values
    }

    /// Null count per journey.
    pub fn nulls(&self) -> &[u64] {
        &self.nulls
    }

    /// Total conversions.
    pub fn total_conversions(&self) -> u64 {
        self.total_conversions
    }

    /// Total conversion value, minor units.
    pub fn total_value(&self) -> i64 {
        self.total_value
    }

    /// Total null journeys.
    pub fn total_nulls(&self) -> u64 {
        self.total_nulls
    }

    /// Cost of the touches read per channel (all of them, expired and dropped included), minor
    /// units; zero for journeys built from paths.
    pub fn touch_cost(&self) -> &[i64] {
        &self.touch_cost
    }

    /// How the set was built.
    pub fn stats(&self) -> &JourneyStats {
        &self.stats
    }

    /// Journey `j` as `a > b > c`.
    pub fn path_text(&self, j: usize) -> String {
        let names: Vec<&str> = self
            .path(j)
            .iter()
            .map(|&c| self.channels[c as usize].as_str())
            .collect();
        names.join(" > ")
    }

    /// The journeys as path rows (in the set's canonical order).
    pub fn to_path_records(&self) -> Vec<PathRecord> {
        (0..self.len())
            .map(|j| PathRecord {
                path: self.path_text(j),
                conversions: self.conversions[j],
                value: self.values[j],
                nulls: self.nulls[j],
            })
            .collect()
    }

    /// The same journeys without touch times, identical ones merged (what the same journeys
    /// given as paths give).
    pub fn without_times(&self) -> Journeys {
        let mut b = JourneysBuilder {
            channels: self.channels.clone(),
            offsets: self.offsets.clone(),
            touches: self.touches.clone(),
            ages: None,
            conversions: self.conversions.clone(),
            values: self.values.clone(),
            nulls: self.nulls.clone(),
        };
        // Already in name order; re-canonicalising merges journeys that differed only in ages.
        b.ages = None;
        let mut j = b
            .finish_inner(self.stats.clone())
            .unwrap_or_else(|_| self.clone());
        j.touch_cost = self.touch_cost.clone();
        j
    }

    /// Journeys from aggregated paths (`a > b > c` with conversions, value and nulls).
    ///
    /// With `channels`, every channel named in a path must be in that list (which becomes the
    /// set's channel list); without it, the channels are those the paths name. Errors name
    /// the row (1-based): an empty path, an empty channel name (`a > > b`), an unknown
    /// channel, a negative count or value, a value without conversions.
    pub fn from_paths(rows: &[PathRow<'_>], channels: Option<&[&str]>) -> Result<Journeys> {
        let fixed = channels.is_some();
        let mut names: Vec<String> = Vec::new();
        let mut index: HashMap<String, u32> = HashMap::new();
        if let Some(list) = channels {
            for (i, &c) in list.iter().enumerate() {
                let c = c.trim();
                if c.is_empty() {
                    return Err(Error::invalid_argument(
                        "channels",
                        format!("channel {} has an empty name", i + 1),
                    ));
                }
                if index.insert(c.to_owned(), names.len() as u32).is_some() {
                    return Err(Error::invalid_argument(
                        "channels",
                        format!("channel {c:?} is listed twice"),
                    ));
                }
                names.push(c.to_owned());
            }
        }
        let loc = |row: usize, column: &str, value: String| Location {
            source: "paths".into(),
            line: row as u64 + 1,
            column: Some(column.into()),
            value: Some(value),
        };
        let mut b = RawBuilder::default();
        let mut path = Vec::new();
        for (r, row) in rows.iter().enumerate() {
            for (col, v) in [
                ("conversions", row.conversions),
                ("value", row.value),
                ("nulls", row.nulls),
            ] {
                if v < 0 {
                    return Err(Error::data(loc(r, col, v.to_string()), "is negative"));
                }
            }
            if row.value > 0 && row.conversions == 0 {
                return Err(Error::data(
                    loc(r, "value", row.value.to_string()),
                    "a value without conversions",
                ));
            }
            path.clear();
            if row.path.trim().is_empty() {
                return Err(Error::data(loc(r, "path", row.path.into()), "empty path"));
            }
            for name in row.path.split('>') {
                let name = name.trim();
                if name.is_empty() {
                    return Err(Error::data(
                        loc(r, "path", row.path.into()),
                        "empty channel name",
                    ));
                }
                let code = match index.get(name) {
                    Some(&c) => c,
                    None if fixed => {
                        return Err(Error::data(
                            loc(r, "path", row.path.into()),
                            format!("unknown channel {name:?}"),
                        ));
                    }
                    None => {
                        let c = names.len() as u32;
                        index.insert(name.to_owned(), c);
                        names.push(name.to_owned());
                        c
                    }
                };
                path.push(code);
            }
            b.push(
                &path,
                None,
                row.conversions as u64,
                row.value,
                row.nulls as u64,
            )?;
        }
        let stats = JourneyStats {
            conversions_read: rows.len() as u64,
            journeys_built: b.conversions.len() as u64,
            null_journeys: b.nulls.iter().filter(|&&n| n > 0).count() as u64,
            ..JourneyStats::default()
        };
        b.finish(names, false, stats)
    }

    /// Journeys from touchpoints and conversions.
    ///
    /// Per customer, touches are taken in time order (ties by channel name, then cost) and
    /// conversions in time order (ties by value). Each conversion at time `T` ends a journey:
    /// the customer's touches not yet used with `T - lookback ≤ time ≤ T` (a touch at the
    /// conversion's second counts). Unused touches before `T - lookback` are expired: they
    /// form one null journey (or are dropped, with [`ExpiredTouches::Drop`]). A conversion with
    /// no touch in its window is counted as unattributed. Touches after the customer's last
    /// conversion form one null journey. Errors name the row (1-based) and column.
    pub fn from_touchpoints(
        touches: &[TouchInput<'_>],
        conversions: &[ConversionInput<'_>],
        options: &JourneyOptions,
    ) -> Result<Journeys> {
        check_lookback(options.lookback_days)?;
        let mut customers: HashMap<&str, u32> = HashMap::new();
        let mut channels: HashMap<&str, u32> = HashMap::new();
        let mut names: Vec<String> = Vec::new();
        let mut raw = Vec::with_capacity(touches.len());
        for (r, t) in touches.iter().enumerate() {
            let loc = |column: &str, value: String| Location {
                source: "touchpoints".into(),
                line: r as u64 + 1,
                column: Some(column.into()),
                value: Some(value),
            };
            let customer = t.customer.trim();
            if customer.is_empty() {
                return Err(Error::data(loc("customer", t.customer.into()), "empty"));
            }
            let channel = t.channel.trim();
            if channel.is_empty() {
                return Err(Error::data(loc("channel", t.channel.into()), "empty"));
            }
            if t.cost < 0 {
                return Err(Error::data(loc("cost", t.cost.to_string()), "is negative"));
            }
            let n = customers.len() as u32;
            let cust = *customers.entry(customer).or_insert(n);
            let ch = *channels.entry(channel).or_insert_with(|| {
                names.push(channel.to_owned());
                names.len() as u32 - 1
            });
            raw.push(RawTouch {
                customer: cust,
                time: t.time.0,
                channel: ch,
                cost: t.cost,
            });
        }
        let mut convs = Vec::with_capacity(conversions.len());
        for (r, c) in conversions.iter().enumerate() {
            let loc = |column: &str, value: String| Location {
                source: "conversions".into(),
                line: r as u64 + 1,
                column: Some(column.into()),
                value: Some(value),
            };
            let customer = c.customer.trim();
            if customer.is_empty() {
                return Err(Error::data(loc("customer", c.customer.into()), "empty"));
            }
            if c.value < 0 {
                return Err(Error::data(
                    loc("value", c.value.to_string()),
                    "is negative",
                ));
            }
            let n = customers.len() as u32;
            let cust = *customers.entry(customer).or_insert(n);
            convs.push(RawConversion {
                customer: cust,
                time: c.time.0,
                value: c.value,
            });
        }
        build_from_raw(names, raw, convs, options)
    }

    /// Journeys of a data set: touches from `dataset.ops.touchpoints`, conversions from the
    /// transactions by `options.conversion`.
    ///
    /// A conversion is an order: its customer, its value (the sum of its sale lines' amounts;
    /// returns are not netted), and its time, the end of its day (23:59:59), since
    /// transactions carry days only and a touch on the day of the purchase counts for it.
    /// `first_purchase` takes each customer's first order (earliest day, then smallest order
    /// id); `each_order` every order with a sale line. The channel list is every channel of
    /// the master data.
    pub fn from_dataset(dataset: &Dataset, options: &JourneyOptions) -> Result<Journeys> {
        check_lookback(options.lookback_days)?;
        let tx = &dataset.transactions;
        let n_orders = tx.orders.len();
        // Per order: customer, earliest sale day, value of the sale lines.
        let mut order_customer = vec![u32::MAX; n_orders];
        let mut order_day = vec![i32::MAX; n_orders];
        let mut order_value = vec![0i128; n_orders];
        for chunk in &tx.chunks {
            for i in 0..chunk.len() {
                if chunk.is_return(i) {
                    continue;
                }
                let o = chunk.order[i] as usize;
                order_customer[o] = chunk.customer[i];
                order_day[o] = order_day[o].min(chunk.date[i]);
                order_value[o] += i128::from(chunk.amount[i]);
            }
        }
        let mut convs = Vec::new();
        match options.conversion {
            ConversionRule::EachOrder => {
                for o in 0..n_orders {
                    if order_customer[o] == u32::MAX {
                        continue;
                    }
                    convs.push(RawConversion {
                        customer: order_customer[o],
                        time: i64::from(order_day[o]) * 86_400 + 86_399,
                        value: crate::money::narrow(order_value[o], "order value")?,
                    });
                }
            }
            ConversionRule::FirstPurchase => {
                let n_customers = dataset.master.customers.len();
                let mut first: Vec<u32> = vec![u32::MAX; n_customers];
                for o in 0..n_orders {
                    let c = order_customer[o];
                    if c == u32::MAX {
                        continue;
                    }
                    let cur = first[c as usize];
                    let better = cur == u32::MAX
                        || (order_day[o], tx.orders.name(o as u32))
                            < (order_day[cur as usize], tx.orders.name(cur));
                    if better {
                        first[c as usize] = o as u32;
                    }
                }
                for (c, &o) in first.iter().enumerate() {
                    if o == u32::MAX {
                        continue;
                    }
                    let o = o as usize;
                    convs.push(RawConversion {
                        customer: c as u32,
                        time: i64::from(order_day[o]) * 86_400 + 86_399,
                        value: crate::money::narrow(order_value[o], "order value")?,
                    });
                }
            }
        }
        let channels = &dataset.master.channels.entities;
        let names: Vec<String> = (0..channels.len() as u32)
            .map(|c| channels.id(c).to_owned())
            .collect();
        let mut raw = Vec::with_capacity(dataset.ops.touchpoints.len());
        for (r, t) in dataset.ops.touchpoints.iter().enumerate() {
            if t.channel as usize >= names.len() || t.cost < 0 {
                return Err(Error::data(
                    Location {
                        source: "touchpoints".into(),
                        line: r as u64 + 1,
                        column: Some(if t.cost < 0 { "cost" } else { "channel" }.into()),
                        value: None,
                    },
                    "unknown channel or negative cost",
                ));
            }
            raw.push(RawTouch {
                customer: t.customer,
                time: t.time.0,
                channel: t.channel,
                cost: t.cost,
            });
        }
        build_from_raw(names, raw, convs, options)
    }
}

fn check_lookback(days: u32) -> Result<()> {
    if days == 0 || days > 3650 {
        return Err(Error::invalid_argument(
            "lookback_days",
            format!("{days} is not from 1 to 3650 days"),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
struct RawTouch {
    customer: u32,
    time: i64,
    channel: u32,
    cost: i64,
}

#[derive(Debug, Clone, Copy)]
struct RawConversion {
    customer: u32,
    time: i64,
    value: i64,
}

/// Cut journeys out of coded touches and conversions (see [`Journeys::from_touchpoints`]).
fn build_from_raw(
    names: Vec<String>,
    mut touches: Vec<RawTouch>,
    mut convs: Vec<RawConversion>,
    options: &JourneyOptions,
) -> Result<Journeys> {
    // Channel ranks by name, so ties in time sort the same whatever the input order.
    let mut order: Vec<u32> = (0..names.len() as u32).collect();
    order.sort_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
    let mut rank = vec![0u32; names.len()];
    for (r, &c) in order.iter().enumerate() {
        rank[c as usize] = r as u32;
    }
    let mut stats = JourneyStats {
        touches_read: touches.len() as u64,
        conversions_read: convs.len() as u64,
        ..JourneyStats::default()
    };
    let mut touch_cost = vec![0i128; names.len()];
    for t in &touches {
        touch_cost[t.channel as usize] += i128::from(t.cost);
    }
    touches.sort_unstable_by_key(|t| (t.customer, t.time, rank[t.channel as usize], t.cost));
    convs.sort_unstable_by_key(|c| (c.customer, c.time, c.value));
    let window = i64::from(options.lookback_days) * 86_400;
    let mut b = RawBuilder {
        ages: Some(Vec::new()),
        ..RawBuilder::default()
    };
    let mut unattributed_value = 0i128;
    let mut path = Vec::new();
    let mut ages = Vec::new();
    let emit_null = |b: &mut RawBuilder, run: &[RawTouch], stats: &mut JourneyStats| {
        if run.is_empty() {
            return Ok(());
        }
        let end = run[run.len() - 1].time;
        let p: Vec<u32> = run.iter().map(|t| t.channel).collect();
        let a: Vec<i64> = run.iter().map(|t| end - t.time).collect();
        stats.null_journeys += 1;
        b.push(&p, Some(&a), 0, 0, 1)
    };
    let (mut ti, mut ci) = (0usize, 0usize);
    while ti < touches.len() || ci < convs.len() {
        let customer = match (touches.get(ti), convs.get(ci)) {
            (Some(t), Some(c)) => t.customer.min(c.customer),
            (Some(t), None) => t.customer,
            (None, Some(c)) => c.customer,
            (None, None) => break,
        };
        let t_end = ti + touches[ti..].partition_point(|t| t.customer == customer);
        let c_end = ci + convs[ci..].partition_point(|c| c.customer == customer);
        let mut next = ti;
        for c in &convs[ci..c_end] {
            let upto = next + touches[next..t_end].partition_point(|t| t.time <= c.time);
            let start = c.time.saturating_sub(window);
            let fresh = next + touches[next..upto].partition_point(|t| t.time < start);
            let expired = &touches[next..fresh];
            stats.expired_touches += expired.len() as u64;
            match options.expired_touches {
                ExpiredTouches::NullJourney => emit_null(&mut b, expired, &mut stats)?,
                ExpiredTouches::Drop => stats.dropped_touches += expired.len() as u64,
            }
            if fresh == upto {
                stats.unattributed_conversions += 1;
                unattributed_value += i128::from(c.value);
            } else {
                path.clear();
                ages.clear();
                for t in &touches[fresh..upto] {
                    path.push(t.channel);
                    ages.push(c.time - t.time);
                }
                b.push(&path, Some(&ages), 1, c.value, 0)?;
            }
            next = upto;
        }
        emit_null(&mut b, &touches[next..t_end], &mut stats)?;
        ti = t_end;
        ci = c_end;
    }
    stats.journeys_built = b.conversions.len() as u64;
    stats.unattributed_value = crate::money::narrow(unattributed_value, "unattributed value")?;
    let mut j = b.finish(names, true, stats)?;
    // `finish` sorted the channels by name; carry the costs along.
    let mut cost = vec![0i64; touch_cost.len()];
    for (c, &v) in touch_cost.iter().enumerate() {
        cost[rank[c] as usize] = crate::money::narrow(v, "touch cost")?;
    }
    j.touch_cost = cost;
    Ok(j)
}

/// Journeys pushed one by one in any order, then made canonical.
#[derive(Debug, Default)]
struct RawBuilder {
    offsets: Vec<u32>,
    touches: Vec<u32>,
    ages: Option<Vec<i64>>,
    conversions: Vec<u64>,
    values: Vec<i64>,
    nulls: Vec<u64>,
}

impl RawBuilder {
    fn push(
        &mut self,
        path: &[u32],
        ages: Option<&[i64]>,
        conversions: u64,
        value: i64,
        nulls: u64,
    ) -> Result<()> {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.touches.extend_from_slice(path);
        if let (Some(all), Some(a)) = (self.ages.as_mut(), ages) {
            all.extend_from_slice(a);
        }
        let end = u32::try_from(self.touches.len())
            .map_err(|_| Error::invalid_argument("journeys", "more than 4,294,967,295 touches"))?;
        self.offsets.push(end);
        self.conversions.push(conversions);
        self.values.push(value);
        self.nulls.push(nulls);
        Ok(())
    }

    fn finish(self, names: Vec<String>, timed: bool, stats: JourneyStats) -> Result<Journeys> {
        let mut offsets = self.offsets;
        if offsets.is_empty() {
            offsets.push(0);
        }
        let b = JourneysBuilder {
            channels: names,
            offsets,
            touches: self.touches,
            ages: if timed { self.ages } else { None },
            conversions: self.conversions,
            values: self.values,
            nulls: self.nulls,
        };
        b.finish_inner(stats)
    }
}

/// Builds a journey set from coded journeys (for bindings, generators and tests).
///
/// ```
/// use qudao::attribution::JourneysBuilder;
/// let mut b = JourneysBuilder::new(&["search", "email"], false)?;
/// b.push(&[1, 0], None, 1, 500, 0)?; // email > search, converted once for 5.00
/// b.push(&[1], None, 0, 0, 3)?;      // email, three null journeys
/// let j = b.finish()?;
/// assert_eq!(j.channels(), ["email", "search"]); // name order
/// assert_eq!(j.path_text(1), "email > search");
/// # Ok::<(), qudao::Error>(())
/// ```
#[derive(Debug)]
pub struct JourneysBuilder {
    channels: Vec<String>,
    offsets: Vec<u32>,
    touches: Vec<u32>,
    ages: Option<Vec<i64>>,
    conversions: Vec<u64>,
    values: Vec<i64>,
    nulls: Vec<u64>,
}

impl JourneysBuilder {
    /// A builder over these channels (codes in [`JourneysBuilder::push`] index this list);
    /// `timed` says whether every journey comes with touch ages.
    pub fn new<S: AsRef<str>>(channels: &[S], timed: bool) -> Result<JourneysBuilder> {
        let mut seen = std::collections::HashSet::new();
        let mut names = Vec::with_capacity(channels.len());
        for (i, c) in channels.iter().enumerate() {
            let c = c.as_ref().trim();
            if c.is_empty() {
                return Err(Error::invalid_argument(
                    "channels",
                    format!("channel {} has an empty name", i + 1),
                ));
            }
            if !seen.insert(c.to_owned()) {
                return Err(Error::invalid_argument(
                    "channels",
                    format!("channel {c:?} is listed twice"),
                ));
            }
            names.push(c.to_owned());
        }
        Ok(JourneysBuilder {
            channels: names,
            offsets: vec![0],
            touches: Vec::new(),
            ages: timed.then(Vec::new),
            conversions: Vec::new(),
            values: Vec::new(),
            nulls: Vec::new(),
        })
    }

    /// Add a journey: channel codes oldest first, touch ages in seconds (required exactly when
    /// the builder is timed, not negative), conversions, value (minor units, not negative,
    /// zero without conversions) and null count. Errors name the journey (1-based).
    pub fn push(
        &mut self,
        path: &[u32],
        ages: Option<&[i64]>,
        conversions: u64,
        value: i64,
        nulls: u64,
    ) -> Result<()> {
        let row = self.conversions.len() + 1;
        let bad = |m: String| Error::invalid_argument("journey", format!("journey {row}: {m}"));
        if path.is_empty() {
            return Err(bad("empty path".into()));
        }
        if let Some(&c) = path.iter().find(|&&c| c as usize >= self.channels.len()) {
            return Err(bad(format!(
                "channel code {c} is not below {}",
                self.channels.len()
            )));
        }
        if value < 0 {
            return Err(bad(format!("value {value} is negative")));
        }
        if value > 0 && conversions == 0 {
            return Err(bad("a value without conversions".into()));
        }
        match (&mut self.ages, ages) {
            (Some(all), Some(a)) => {
                if a.len() != path.len() {
                    return Err(bad(format!("{} ages for {} touches", a.len(), path.len())));
                }
                if a.iter().any(|&x| x < 0) {
                    return Err(bad("a negative age".into()));
                }
                all.extend_from_slice(a);
            }
            (None, None) => {}
            (Some(_), None) => return Err(bad("no ages, but the builder is timed".into())),
            (None, Some(_)) => return Err(bad("ages, but the builder is not timed".into())),
        }
        self.touches.extend_from_slice(path);
        let end = u32::try_from(self.touches.len())
            .map_err(|_| Error::invalid_argument("journeys", "more than 4,294,967,295 touches"))?;
        self.offsets.push(end);
        self.conversions.push(conversions);
        self.values.push(value);
        self.nulls.push(nulls);
        Ok(())
    }

    /// The canonical set: channels in name order, journeys sorted, identical ones merged.
    pub fn finish(self) -> Result<Journeys> {
        let stats = JourneyStats {
            conversions_read: self.conversions.len() as u64,
            journeys_built: self.conversions.len() as u64,
            null_journeys: self.nulls.iter().filter(|&&n| n > 0).count() as u64,
            ..JourneyStats::default()
        };
        self.finish_inner(stats)
    }

    fn finish_inner(self, stats: JourneyStats) -> Result<Journeys> {
        let n_ch = self.channels.len();
        // Channels to name order.
        let mut order: Vec<u32> = (0..n_ch as u32).collect();
        order.sort_by(|&a, &b| self.channels[a as usize].cmp(&self.channels[b as usize]));
        let mut rank = vec![0u32; n_ch];
        for (r, &c) in order.iter().enumerate() {
            rank[c as usize] = r as u32;
        }
        let channels: Vec<String> = order
            .iter()
            .map(|&c| self.channels[c as usize].clone())
            .collect();
        let identity = order.iter().enumerate().all(|(i, &c)| i as u32 == c);
        let mut touches = self.touches;
        if !identity {
            touches.iter_mut().for_each(|t| *t = rank[*t as usize]);
        }
        let offsets = self.offsets;
        let ages = self.ages;
        let n = self.conversions.len();
        let span = |j: usize| offsets[j] as usize..offsets[j + 1] as usize;
        let mut idx: Vec<u32> = (0..n as u32)
            .filter(|&j| self.conversions[j as usize] > 0 || self.nulls[j as usize] > 0)
            .collect();
        idx.sort_unstable_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            touches[span(a)]
                .cmp(&touches[span(b)])
                .then_with(|| match &ages {
                    Some(g) => g[span(a)].cmp(&g[span(b)]),
                    None => std::cmp::Ordering::Equal,
                })
        });
        let mut out_offsets = Vec::with_capacity(idx.len() + 1);
        out_offsets.push(0u32);
        let mut out_touches = Vec::with_capacity(touches.len());
        let mut out_ages = ages.as_ref().map(|_| Vec::with_capacity(touches.len()));
        let mut conversions: Vec<u64> = Vec::with_capacity(idx.len());
        let mut values: Vec<i64> = Vec::with_capacity(idx.len());
        let mut nulls: Vec<u64> = Vec::with_capacity(idx.len());
        let mut total_conv = 0u64;
        let mut total_value = 0i128;
        let mut total_nulls = 0u64;
        let overflow = || Error::overflow("journey conversions");
        let mut prev: Option<usize> = None;
        for &j in &idx {
            let j = j as usize;
            let same = prev.is_some_and(|p| {
                touches[span(p)] == touches[span(j)]
                    && ages.as_ref().is_none_or(|g| g[span(p)] == g[span(j)])
            });
            let (c, v, nu) = (self.conversions[j], self.values[j], self.nulls[j]);
            total_conv = total_conv.checked_add(c).ok_or_else(overflow)?;
            total_value += i128::from(v);
            total_nulls = total_nulls.checked_add(nu).ok_or_else(overflow)?;
            if same {
                let k = conversions.len() - 1;
                conversions[k] += c;
                nulls[k] += nu;
                values[k] = values[k]
                    .checked_add(v)
                    .ok_or_else(|| Error::overflow("journey value"))?;
            } else {
                out_touches.extend_from_slice(&touches[span(j)]);
                if let (Some(o), Some(g)) = (out_ages.as_mut(), ages.as_ref()) {
                    o.extend_from_slice(&g[span(j)]);
                }
                out_offsets.push(out_touches.len() as u32);
                conversions.push(c);
                values.push(v);
                nulls.push(nu);
                prev = Some(j);
            }
        }
        let total_value = crate::money::narrow(total_value, "total conversion value")?;
        Ok(Journeys {
            touch_cost: vec![0; channels.len()],
            channels,
            offsets: out_offsets,
            touches: out_touches,
            ages: out_ages,
            conversions,
            values,
            nulls,
            total_conversions: total_conv,
            total_value,
            total_nulls,
            stats,
        })
    }
}

/// A deterministic synthetic journey set for benches and tests: `n` journeys over `channels`
/// channels (`C01`, `C02`, …), 1 to 10 touches each (some channels far more often than
/// others), each converting once (value 10.00 to 1,000.00) or ending in one null, touch ages
/// of hours to days. The same `seed` gives the same set.
pub fn synthetic_journeys(n: usize, channels: usize, seed: u64) -> Result<Journeys> {
    if channels == 0 || channels > 999 {
        return Err(Error::invalid_argument(
            "channels",
            format!("{channels} is not from 1 to 999"),
        ));
    }
    let names: Vec<String> = (1..=channels).map(|i| format!("C{i:02}")).collect();
    let mut b = JourneysBuilder::new(&names, true)?;
    b.offsets.reserve(n);
    b.touches.reserve(n * 6);
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // splitmix64
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let ch = channels as u64;
    let mut path = Vec::with_capacity(10);
    let mut ages = Vec::with_capacity(10);
    for _ in 0..n {
        let len = 1 + (next() % 10) as usize;
        path.clear();
        ages.clear();
        let mut age = (next() % (3 * 86_400)) as i64;
        let mut lift = 0u64;
        for _ in 0..len {
            // Skewed: the smaller of two draws, so low codes are frequent.
            let c = (next() % ch).min(next() % ch) as u32;
            path.push(c);
            lift += u64::from(c % 5);
            ages.push(age);
            age += (next() % (2 * 86_400)) as i64 + 600;
        }
        path.reverse();
        ages.reverse();
        // Conversion odds grow with the touches and their channels' lift.
        let converts = next() % 100 < 5 + 2 * len as u64 + lift;
        if converts {
            let value = 1_000 + (next() % 99_000) as i64;
            b.push(&path, Some(&ages), 1, value, 0)?;
        } else {
            b.push(&path, Some(&ages), 0, 0, 1)?;
        }
    }
    b.finish()
}
