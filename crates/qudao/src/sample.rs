//! The sample company: a deterministic, seeded generator of a realistic data set.
//!
//! 茗禾茶业 (Minghe Tea), a fictional Chinese tea company selling in CNY through all twelve
//! channel kinds, with a three-level partner network, a territory tree of real Chinese
//! regions, provinces and cities, a price system, customers, two years of transactions and
//! the operational tables. It exists so that the demo, the tests, the benchmarks and the
//! documentation all talk about the same data, and so that detectors can be tested against
//! trouble that was planted on purpose ([`Planted`]).
//!
//! The generator uses its own PRNG (xoshiro256**, seeded by SplitMix64) and only the
//! correctly rounded float operations (`+ - * /`, `sqrt`) for its draws, so the same
//! [`SampleConfig`] gives byte-identical data on every platform and every version of the
//! dependencies. Master data draws come from streams separate from the transaction draws, so
//! changing `lines` does not reshuffle partners, products or prices.
//!
//! What is generated, and what the tests rely on:
//! - exactly `config.lines` transaction lines (sales and about 3 % returns);
//! - every partner line lies in a territory the partner is authorised for, and every sale is
//!   at or above the floor price in force ([`crate::master::PriceList::lookup`]) — except the
//!   lines listed in [`Planted::cross_region`] and [`Planted::below_floor`];
//! - returns name their original order, return at most what it sold, and carry its unit
//!   price (which may be below a floor raised in the meantime);
//! - planted lines are never returned.
//!
//! ```
//! use qudao::sample::{generate, SampleConfig};
//! let sample = generate(&SampleConfig::with_lines(2_000)).unwrap();
//! assert_eq!(sample.dataset.transactions.len(), 2_000);
//! assert!(sample.dataset.rejections.is_empty());
//! ```

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, DatasetBuilder, TxInput};
use crate::date::{Date, Period, Timestamp};
use crate::error::{Error, Result};
use crate::intern::NONE;
use crate::master::{MasterData, MasterDocument};
use crate::model::{
    Category, Channel, ChannelKind, ChannelRole, CooperationModel, Customer, Onboarding, Partner,
    PartnerStatus, Presence, PriceEntry, Product, StatusChange, Territory, TerritoryGrant,
    TerritoryLevel,
};
use crate::money::Currency;
use crate::ops::{
    ChannelCost, Complaint, Delivery, InventorySnapshot, Measure, Satisfaction, Target,
    TargetSubject, Touchpoint,
};
use crate::reject::Strictness;
use crate::transactions::TxKind;

/// What to generate. Everything is derived from these fields alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleConfig {
    /// Seed of every random draw.
    pub seed: u64,
    /// Number of transaction lines, exactly.
    pub lines: usize,
    /// Number of customers (about 40 % existing before `start`, the rest acquired during
    /// the period).
    pub customers: usize,
    /// Number of partners (8 regional general agents, about a fifth distributors, the rest
    /// retailers, franchisees and agents). At least 24.
    pub partners: usize,
    /// Number of products. At least 20.
    pub products: usize,
    /// First day of the transactions.
    pub start: Date,
    /// Number of calendar months of transactions (1–120).
    pub months: u32,
}

impl Default for SampleConfig {
    fn default() -> Self {
        SampleConfig {
            seed: 42,
            lines: 1_000_000,
            customers: 50_000,
            partners: 200,
            products: 200,
            start: Date::from_ymd(2024, 1, 1).unwrap_or_default(),
            months: 24,
        }
    }
}

impl SampleConfig {
    /// The default company with `lines` lines and about one customer per 20 lines (at least
    /// 500), so that purchase frequencies stay realistic at any size.
    pub fn with_lines(lines: usize) -> Self {
        SampleConfig {
            lines,
            customers: (lines / 20).max(500),
            ..SampleConfig::default()
        }
    }
}

/// A generated data set and the trouble planted in it.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The data set (built in strict mode: nothing rejected).
    pub dataset: Dataset,
    /// What was planted, for tests of detectors.
    pub planted: Planted,
}

/// One planted transaction line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlantedLine {
    /// Partner id.
    pub partner: String,
    /// Territory id where it was sold.
    pub territory: String,
    /// Order id.
    pub order: String,
    /// Line number within the order.
    pub line: u32,
}

/// The trouble planted in the sample, so that tests can check that detectors find exactly it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Planted {
    /// The partner selling outside its territory (窜货).
    pub cross_region_partner: String,
    /// Its lines sold in territories it is not authorised for (and only those).
    pub cross_region: Vec<PlantedLine>,
    /// The partner undercutting the price system.
    pub below_floor_partner: String,
    /// Its lines sold below the floor price in force (and only those).
    pub below_floor: Vec<PlantedLine>,
    /// The partner holding far too much stock of one product (库存积压).
    pub overstocked_partner: String,
    /// The product it is overstocked in.
    pub overstocked_product: String,
    /// The partner whose complaints rise every month.
    pub rising_complaints_partner: String,
    /// Partners suspended at some point of the period.
    pub suspended_partners: Vec<String>,
    /// Partners whose cooperation ended during the period.
    pub terminated_partners: Vec<String>,
    /// Channels built to grow fast (live-stream, social commerce).
    pub growing_channels: Vec<String>,
    /// Channels built to decline (telephone).
    pub declining_channels: Vec<String>,
    /// Day of the general price increase.
    pub price_change: Option<Date>,
    /// Products whose price rose on that day.
    pub price_change_products: Vec<String>,
}

/// Generate the sample company.
///
/// Errors only on a configuration outside the documented ranges.
pub fn generate(config: &SampleConfig) -> Result<Sample> {
    check(config)?;
    let world = World::build(config)?;
    let mut g = Gen::new(config, world)?;
    g.run()?;
    g.finish()
}

fn check(c: &SampleConfig) -> Result<()> {
    if c.customers == 0 {
        return Err(Error::invalid_argument(
            "customers",
            "at least one customer is needed",
        ));
    }
    if c.partners < 24 {
        return Err(Error::invalid_argument(
            "partners",
            "at least 24 partners (8 general agents, 8 distributors, 8 retailers)",
        ));
    }
    if c.products < 20 {
        return Err(Error::invalid_argument("products", "at least 20 products"));
    }
    if !(1..=120).contains(&c.months) {
        return Err(Error::invalid_argument(
            "months",
            "between 1 and 120 months",
        ));
    }
    let (y, _, _) = c.start.ymd();
    if !(1910..=2180).contains(&y) {
        return Err(Error::invalid_argument(
            "start",
            "the start year must be between 1910 and 2180",
        ));
    }
    if c.lines > u32::MAX as usize / 2 {
        return Err(Error::invalid_argument("lines", "too many lines"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// PRNG

/// xoshiro256** seeded through SplitMix64: small, fast, and the same everywhere.
#[derive(Debug, Clone)]
struct Rng {
    s: [u64; 4],
}

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator for one named stream of a seed, so stages do not disturb each other.
    fn stream(seed: u64, stream: u64) -> Rng {
        let mut x = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        Rng {
            s: [
                splitmix(&mut x),
                splitmix(&mut x),
                splitmix(&mut x),
                splitmix(&mut x),
            ],
        }
    }

    #[inline]
    fn next(&mut self) -> u64 {
        let r = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        r
    }

    /// Uniform in `[0, 1)`.
    #[inline]
    fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-shift.
    #[inline]
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    #[inline]
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    #[inline]
    fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A heavy-tailed weight (Pareto with α = 4/3, capped), built from `sqrt` only so that it
    /// is bit-identical on every platform.
    fn pareto(&mut self, cap: f64) -> f64 {
        let u = 1.0 - self.f(); // (0, 1]
        let s = u.sqrt();
        (1.0 / (s * s.sqrt())).min(cap)
    }
}

/// Index of a weighted draw among the first `n` entries of a cumulative-weight array.
#[inline]
fn draw(cum: &[f64], n: usize, u: f64) -> usize {
    let n = n.min(cum.len());
    if n == 0 {
        return 0;
    }
    let x = u * cum[n - 1];
    cum[..n].partition_point(|&c| c <= x).min(n - 1)
}

fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    weights
        .into_iter()
        .map(|w| {
            acc += w;
            acc
        })
        .collect()
}

fn date(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd(y, m, d).unwrap_or_default()
}

fn add_months(d: Date, months: i32) -> Date {
    Date::from_month_index(d.month_index() + months)
}

// ---------------------------------------------------------------------------------------------
// Static reference data

use TerritoryLevel::{City, Country, Province, Region};

/// The territory tree: id, name, level, parent.
const TERRITORIES: &[(&str, &str, TerritoryLevel, &str)] = &[
    ("CN", "中国", Country, ""),
    ("CN-E", "华东大区", Region, "CN"),
    ("CN-S", "华南大区", Region, "CN"),
    ("CN-N", "华北大区", Region, "CN"),
    ("CN-C", "华中大区", Region, "CN"),
    ("CN-W", "西部大区", Region, "CN"),
    ("ZJ", "浙江省", Province, "CN-E"),
    ("JS", "江苏省", Province, "CN-E"),
    ("SH", "上海市", Province, "CN-E"),
    ("SD", "山东省", Province, "CN-E"),
    ("GD", "广东省", Province, "CN-S"),
    ("FJ", "福建省", Province, "CN-S"),
    ("BJ", "北京市", Province, "CN-N"),
    ("TJ", "天津市", Province, "CN-N"),
    ("HB", "湖北省", Province, "CN-C"),
    ("HN", "湖南省", Province, "CN-C"),
    ("SC", "四川省", Province, "CN-W"),
    ("CQ", "重庆市", Province, "CN-W"),
    ("SN", "陕西省", Province, "CN-W"),
    ("ZJ-HZ", "杭州市", City, "ZJ"),
    ("ZJ-NB", "宁波市", City, "ZJ"),
    ("JS-NJ", "南京市", City, "JS"),
    ("JS-SZ", "苏州市", City, "JS"),
    ("SD-JN", "济南市", City, "SD"),
    ("SD-QD", "青岛市", City, "SD"),
    ("GD-GZ", "广州市", City, "GD"),
    ("GD-SZ", "深圳市", City, "GD"),
    ("FJ-XM", "厦门市", City, "FJ"),
    ("FJ-FZ", "福州市", City, "FJ"),
    ("HB-WH", "武汉市", City, "HB"),
    ("HN-CS", "长沙市", City, "HN"),
    ("SC-CD", "成都市", City, "SC"),
    ("SN-XA", "西安市", City, "SN"),
];

/// Where sales happen (cities, and municipalities without cities below them), with a
/// market-size weight and a short name for partner names.
const POINTS: &[(&str, f64, &str)] = &[
    ("ZJ-HZ", 10.0, "杭州"),
    ("ZJ-NB", 6.0, "宁波"),
    ("SH", 14.0, "上海"),
    ("JS-NJ", 8.0, "南京"),
    ("JS-SZ", 9.0, "苏州"),
    ("SD-JN", 5.0, "济南"),
    ("SD-QD", 5.0, "青岛"),
    ("GD-GZ", 11.0, "广州"),
    ("GD-SZ", 12.0, "深圳"),
    ("FJ-XM", 4.0, "厦门"),
    ("FJ-FZ", 4.0, "福州"),
    ("BJ", 13.0, "北京"),
    ("TJ", 5.0, "天津"),
    ("HB-WH", 7.0, "武汉"),
    ("HN-CS", 6.0, "长沙"),
    ("SC-CD", 8.0, "成都"),
    ("CQ", 6.0, "重庆"),
    ("SN-XA", 5.0, "西安"),
];

/// Regional general agents: id, name, exclusive grants.
const GENERAL_AGENTS: &[(&str, &str, &[&str])] = &[
    ("GA01", "浙沪茗禾商贸有限公司", &["ZJ", "SH"]),
    ("GA02", "苏鲁茗禾商贸有限公司", &["JS", "SD"]),
    ("GA03", "广东茗禾商贸有限公司", &["GD"]),
    ("GA04", "福建茗禾商贸有限公司", &["FJ"]),
    ("GA05", "京津茗禾商贸有限公司", &["BJ", "TJ"]),
    ("GA06", "华中茗禾商贸有限公司", &["CN-C"]),
    ("GA07", "川渝茗禾商贸有限公司", &["SC", "CQ"]),
    ("GA08", "陕西茗禾商贸有限公司", &["SN"]),
];

const TRADE_NAMES: &[&str] = &[
    "茗香", "鸿运", "华茂", "金叶", "瑞丰", "嘉禾", "恒通", "永盛", "万隆", "源泰", "聚福", "天元",
    "德盛", "兴旺", "汇丰", "长青", "博雅", "顺昌", "新禾", "春和", "清风", "云岭", "松涛", "和顺",
];

/// Channel: id, name, kind, presence, role, parent, base share, monthly growth factor,
/// whether partners sell through it, cost as a share of revenue (‰).
struct ChannelDef {
    id: &'static str,
    name: &'static str,
    kind: ChannelKind,
    presence: Presence,
    role: ChannelRole,
    parent: Option<&'static str>,
    share: f64,
    growth: f64,
    partner: bool,
    cost_permille: i64,
}

#[expect(
    clippy::too_many_arguments,
    reason = "a table-row constructor; positional keeps the table readable"
)]
const fn ch(
    id: &'static str,
    name: &'static str,
    kind: ChannelKind,
    presence: Presence,
    role: ChannelRole,
    parent: Option<&'static str>,
    share: f64,
    growth: f64,
    partner: bool,
    cost_permille: i64,
) -> ChannelDef {
    ChannelDef {
        id,
        name,
        kind,
        presence,
        role,
        parent,
        share,
        growth,
        partner,
        cost_permille,
    }
}

use ChannelKind as K;
use ChannelRole::{Auxiliary, Main};
use Presence::{Offline, Online};

const CHANNELS: &[ChannelDef] = &[
    ch(
        "DIRECT",
        "品牌直营店",
        K::Direct,
        Offline,
        Main,
        None,
        8.0,
        1.005,
        false,
        140,
    ),
    ch(
        "DIST",
        "经销渠道",
        K::Distribution,
        Offline,
        Main,
        None,
        16.0,
        1.0,
        true,
        60,
    ),
    ch(
        "AGENCY",
        "代理渠道",
        K::Agency,
        Offline,
        Auxiliary,
        None,
        5.0,
        0.995,
        true,
        90,
    ),
    ch(
        "FRANCHISE",
        "加盟门店",
        K::Franchise,
        Offline,
        Main,
        None,
        9.0,
        1.01,
        true,
        50,
    ),
    ch(
        "PLATFORM",
        "平台电商",
        K::PlatformEcommerce,
        Online,
        Main,
        None,
        0.0,
        1.0,
        false,
        0,
    ),
    ch(
        "TMALL",
        "天猫旗舰店",
        K::PlatformEcommerce,
        Online,
        Main,
        Some("PLATFORM"),
        12.0,
        1.005,
        false,
        120,
    ),
    ch(
        "JD",
        "京东自营",
        K::PlatformEcommerce,
        Online,
        Main,
        Some("PLATFORM"),
        8.0,
        1.01,
        false,
        110,
    ),
    ch(
        "SOCIAL",
        "微信小程序商城",
        K::SocialCommerce,
        Online,
        Auxiliary,
        None,
        5.0,
        1.05,
        false,
        100,
    ),
    ch(
        "LIVE",
        "抖音直播间",
        K::LiveStream,
        Online,
        Auxiliary,
        None,
        6.0,
        1.06,
        false,
        180,
    ),
    ch(
        "RETAIL",
        "商超零售终端",
        K::RetailTerminal,
        Offline,
        Main,
        None,
        12.0,
        0.995,
        true,
        80,
    ),
    ch(
        "COMMUNITY",
        "私域社群",
        K::PrivateCommunity,
        Online,
        Auxiliary,
        None,
        4.0,
        1.02,
        false,
        60,
    ),
    ch(
        "PHONE",
        "电话销售",
        K::Telephone,
        Offline,
        Auxiliary,
        None,
        5.0,
        0.96,
        false,
        200,
    ),
    ch(
        "SOCIALMEDIA",
        "小红书种草",
        K::SocialMedia,
        Online,
        Auxiliary,
        None,
        3.0,
        1.015,
        false,
        220,
    ),
    ch(
        "OTHER",
        "企业团购",
        K::Other,
        Offline,
        Auxiliary,
        None,
        3.0,
        1.0,
        false,
        40,
    ),
];

/// Category tree: id, name, parent, and per leaf the product base names with a base price
/// in yuan.
const CATEGORIES: &[(&str, &str, &str)] = &[
    ("TEA", "茶叶", ""),
    ("WARE", "茶具", ""),
    ("SNACK", "茶点", ""),
    ("DRINK", "茶饮品", ""),
    ("GIFT", "礼盒", ""),
    ("TEA-GREEN", "绿茶", "TEA"),
    ("TEA-BLACK", "红茶", "TEA"),
    ("TEA-OOLONG", "乌龙茶", "TEA"),
    ("TEA-PUER", "普洱茶", "TEA"),
    ("TEA-WHITE", "白茶", "TEA"),
    ("WARE-POT", "茶壶", "WARE"),
    ("WARE-CUP", "茶杯", "WARE"),
    ("WARE-SET", "茶具套装", "WARE"),
    ("SNACK-NUT", "坚果", "SNACK"),
    ("SNACK-PASTRY", "糕点", "SNACK"),
    ("DRINK-RTD", "即饮茶", "DRINK"),
    ("DRINK-COLD", "冷泡茶", "DRINK"),
    ("GIFT-FEST", "节日礼盒", "GIFT"),
    ("GIFT-CORP", "企业定制礼盒", "GIFT"),
];

/// Base products: category, name, base price (yuan), variant kind.
const BASES: &[(&str, &str, i64, u8)] = &[
    ("TEA-GREEN", "西湖龙井", 168, 0),
    ("TEA-GREEN", "碧螺春", 128, 0),
    ("TEA-GREEN", "黄山毛峰", 98, 0),
    ("TEA-GREEN", "信阳毛尖", 88, 0),
    ("TEA-GREEN", "六安瓜片", 118, 0),
    ("TEA-GREEN", "安吉白茶", 138, 0),
    ("TEA-BLACK", "正山小种", 108, 0),
    ("TEA-BLACK", "祁门红茶", 98, 0),
    ("TEA-BLACK", "滇红金芽", 88, 0),
    ("TEA-BLACK", "金骏眉", 198, 0),
    ("TEA-OOLONG", "安溪铁观音", 118, 0),
    ("TEA-OOLONG", "武夷大红袍", 158, 0),
    ("TEA-OOLONG", "凤凰单丛", 128, 0),
    ("TEA-OOLONG", "冻顶乌龙", 108, 0),
    ("TEA-PUER", "普洱生茶饼", 168, 1),
    ("TEA-PUER", "普洱熟茶饼", 148, 1),
    ("TEA-PUER", "新会小青柑", 78, 0),
    ("TEA-WHITE", "白毫银针", 218, 0),
    ("TEA-WHITE", "白牡丹", 128, 0),
    ("TEA-WHITE", "寿眉", 78, 1),
    ("WARE-POT", "宜兴紫砂壶", 580, 2),
    ("WARE-POT", "耐热玻璃壶", 88, 2),
    ("WARE-POT", "铸铁壶", 360, 2),
    ("WARE-CUP", "品茗杯", 38, 2),
    ("WARE-CUP", "公道杯", 58, 2),
    ("WARE-CUP", "便携旅行杯", 98, 2),
    ("WARE-SET", "功夫茶具套装", 398, 2),
    ("WARE-SET", "旅行茶具套装", 168, 2),
    ("SNACK-NUT", "碧根果", 39, 3),
    ("SNACK-NUT", "夏威夷果", 45, 3),
    ("SNACK-NUT", "每日坚果", 69, 3),
    ("SNACK-PASTRY", "绿豆糕", 29, 3),
    ("SNACK-PASTRY", "桃酥", 25, 3),
    ("SNACK-PASTRY", "凤梨酥", 49, 3),
    ("DRINK-RTD", "无糖乌龙茶饮", 5, 4),
    ("DRINK-RTD", "茉莉花茶饮", 5, 4),
    ("DRINK-RTD", "柠檬红茶", 4, 4),
    ("DRINK-COLD", "冷泡绿茶", 39, 3),
    ("DRINK-COLD", "白桃乌龙冷泡茶", 45, 3),
    ("GIFT-FEST", "新春礼盒", 398, 5),
    ("GIFT-FEST", "中秋礼盒", 368, 5),
    ("GIFT-FEST", "端午礼盒", 268, 5),
    ("GIFT-CORP", "企业定制礼盒", 598, 5),
    ("GIFT-CORP", "商务茶礼", 888, 5),
];

/// Variants per variant kind: label and price multiplier in percent.
const VARIANTS: &[&[(&str, i64)]] = &[
    &[
        ("50g", 40),
        ("100g 一级", 75),
        ("250g 特级", 200),
        ("500g 礼罐", 380),
        ("罐装 125g", 100),
    ],
    &[
        ("357g", 100),
        ("200g", 65),
        ("1kg 整提", 260),
        ("迷你沱 100g", 35),
        ("礼盒 2饼", 210),
    ],
    &[
        ("标准款", 100),
        ("大师款", 240),
        ("礼盒款", 150),
        ("入门款", 60),
        ("限定款", 180),
    ],
    &[
        ("250g", 100),
        ("500g 家庭装", 180),
        ("小包 30日装", 140),
        ("礼袋", 160),
        ("试吃装", 40),
    ],
    &[
        ("500ml", 100),
        ("500ml×15 箱", 1300),
        ("1L", 180),
        ("330ml×24 箱", 1700),
        ("500ml×6", 560),
    ],
    &[
        ("标准版", 100),
        ("尊享版", 180),
        ("臻品版", 260),
        ("简装版", 60),
        ("双拼版", 140),
    ],
];

/// Days of the Spring Festival (春节), the one moving holiday that matters most.
fn spring_festival(year: i32) -> Date {
    let (m, d) = match year {
        2018 => (2, 16),
        2019 => (2, 5),
        2020 => (1, 25),
        2021 => (2, 12),
        2022 => (2, 1),
        2023 => (1, 22),
        2024 => (2, 10),
        2025 => (1, 29),
        2026 => (2, 17),
        2027 => (2, 6),
        2028 => (1, 26),
        2029 => (2, 13),
        2030 => (2, 3),
        _ => (2, 5),
    };
    date(year, m, d)
}

/// Relative demand of a day for online or offline channels: month pattern, the Spring
/// Festival (gift buying before, a deep dip around it), the 618 and Double 11 shopping
/// festivals (mostly online) and weekends (mostly offline).
fn season(day: Date, online: bool) -> f64 {
    const MONTH: [f64; 12] = [
        1.0, 0.85, 0.95, 1.0, 1.0, 1.05, 0.95, 0.95, 1.05, 1.0, 1.1, 1.15,
    ];
    let (y, m, d) = day.ymd();
    let mut w = MONTH[(m - 1) as usize];
    let sf = (
        day.0 - spring_festival(y).0,
        day.0 - spring_festival(y + 1).0,
    );
    for off in [sf.0, sf.1] {
        w *= match off {
            -21..=-8 => 1.25,
            -7..=7 => 0.35,
            8..=15 => 0.7,
            _ => 1.0,
        };
    }
    let f = |online_w: f64, offline_w: f64| if online { online_w } else { offline_w };
    w *= match (m, d) {
        (6, 1..=17) => f(1.4, 1.05),
        (6, 18) => f(4.0, 1.2),
        (10, 25..=31) | (11, 1..=10) => f(1.3, 1.05),
        (11, 11) => f(6.0, 1.3),
        (11, 12) => f(1.5, 1.0),
        _ => 1.0,
    };
    // 1970-01-01 was a Thursday: weekday 0 = Monday.
    let weekday = (day.0 + 3).rem_euclid(7);
    if weekday >= 5 {
        w *= f(1.05, 1.25);
    }
    w
}

// ---------------------------------------------------------------------------------------------
// The world: master data and the indexes the generator samples from

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    GeneralAgent,
    Distributor,
    Leaf,
}

#[derive(Debug, Clone)]
struct PartnerInfo {
    level: Level,
    channel: usize,
    /// Points it may sell in.
    points: Vec<usize>,
    weight: f64,
    /// Active on days `[from, to)` with an optional gap `[gap.0, gap.1)`.
    from: Date,
    to: Date,
    gap: Option<(Date, Date)>,
}

impl PartnerInfo {
    fn active(&self, day: Date) -> bool {
        day >= self.from && day < self.to && !self.gap.is_some_and(|(a, b)| day >= a && day < b)
    }
}

#[derive(Debug)]
struct World {
    doc: MasterDocument,
    partners: Vec<PartnerInfo>,
    /// Customer home point and first-seen day, in first-seen order (= document order).
    cust_point: Vec<u16>,
    cust_first: Vec<Date>,
    cust_weight: Vec<f64>,
    cust_acq: Vec<u8>,
    /// Product popularity and unit cost (minor units), in document order.
    prod_weight: Vec<f64>,
    prod_cost: Vec<i64>,
    prod_launch: Vec<Date>,
    planted: Planted,
    cross_partner: usize,
    floor_partner: usize,
    overstock_partner: usize,
    overstock_product: usize,
    complaints_partner: usize,
}

impl World {
    fn build(c: &SampleConfig) -> Result<World> {
        let end = add_months(c.start, c.months as i32);
        let days = end.0 - c.start.0;
        let mut doc = MasterDocument {
            currency: Currency::cny(),
            ..MasterDocument::default()
        };
        doc.territories = TERRITORIES
            .iter()
            .map(|&(id, name, level, parent)| Territory {
                id: id.into(),
                name: name.into(),
                level,
                parent: (!parent.is_empty()).then(|| parent.into()),
            })
            .collect();
        doc.channels = CHANNELS
            .iter()
            .map(|d| Channel {
                id: d.id.into(),
                name: d.name.into(),
                kind: d.kind,
                presence: d.presence,
                role: d.role,
                parent: d.parent.map(Into::into),
            })
            .collect();
        let chan = |id: &str| CHANNELS.iter().position(|d| d.id == id).unwrap_or(0);

        // Partners.
        let mut rng = Rng::stream(c.seed, 1);
        let parent_of = |t: &str| TERRITORIES.iter().find(|x| x.0 == t).map_or("", |x| x.3);
        let within = |point: &str, grant: &str| {
            let mut t = point;
            loop {
                if t == grant {
                    return true;
                }
                t = parent_of(t);
                if t.is_empty() {
                    return false;
                }
            }
        };
        let n_dist = (c.partners / 5).max(8);
        let n_leaf = c.partners - GENERAL_AGENTS.len() - n_dist;
        let mut partners = Vec::with_capacity(c.partners);
        let mut infos = Vec::with_capacity(c.partners);
        let before = |rng: &mut Rng, lo_years: i64, hi_years: i64| {
            c.start
                .add_days(-(rng.range(lo_years * 365, hi_years * 365) as i32))
        };
        let onboarding = |rng: &mut Rng, level: Level| {
            let (cap_lo, cap_hi, team) = match level {
                Level::GeneralAgent => (5_000_000, 50_000_000, (30, 120)),
                Level::Distributor => (1_000_000, 10_000_000, (8, 40)),
                Level::Leaf => (100_000, 2_000_000, (2, 12)),
            };
            Onboarding {
                licence_held: rng.chance(0.97),
                years_in_industry: Some(rng.range(2, 20) as u32),
                registered_capital: Some(Decimal::from(
                    rng.range(cap_lo / 10_000, cap_hi / 10_000) * 10_000,
                )),
                team_size: Some(rng.range(team.0, team.1) as u32),
                regional_market_share: Some(Decimal::new(rng.range(5, 300), 3)),
                customer_resources: Some(rng.range(5, 400) as u32),
                brand_alignment: (0..5).map(|_| rng.range(2, 5) as u8).collect(),
            }
        };
        let status = |from: Date| {
            vec![
                StatusChange {
                    status: PartnerStatus::Prospect,
                    since: from.add_days(-45),
                },
                StatusChange {
                    status: PartnerStatus::Active,
                    since: from,
                },
            ]
        };
        let mut ga_points: Vec<Vec<usize>> = Vec::new();
        for &(id, name, grants) in GENERAL_AGENTS {
            let points: Vec<usize> = (0..POINTS.len())
                .filter(|&p| grants.iter().any(|g| within(POINTS[p].0, g)))
                .collect();
            let from = before(&mut rng, 4, 7);
            partners.push(Partner {
                id: id.into(),
                name: name.into(),
                model: CooperationModel::Distribution,
                grade: "A".into(),
                parent: None,
                channel: Some("DIST".into()),
                territories: grants
                    .iter()
                    .map(|g| TerritoryGrant {
                        territory: (*g).into(),
                        exclusive: true,
                    })
                    .collect(),
                onboarding: onboarding(&mut rng, Level::GeneralAgent),
                status: status(from),
            });
            infos.push(PartnerInfo {
                level: Level::GeneralAgent,
                channel: chan("DIST"),
                weight: 2.0 * points.iter().map(|&p| POINTS[p].1).sum::<f64>(),
                points: points.clone(),
                from,
                to: Date(i32::MAX),
                gap: None,
            });
            ga_points.push(points);
        }
        // Distributors: round-robin over the agents, then over each agent's points.
        let mut dist_point = Vec::with_capacity(n_dist);
        let mut per_ga = vec![0usize; GENERAL_AGENTS.len()];
        for j in 0..n_dist {
            let ga = j % GENERAL_AGENTS.len();
            let pts = &ga_points[ga];
            let p = pts[per_ga[ga] % pts.len()];
            per_ga[ga] += 1;
            dist_point.push((ga, p));
        }
        let dist_count_at = |p: usize| dist_point.iter().filter(|d| d.1 == p).count();
        for (j, &(ga, p)) in dist_point.iter().enumerate() {
            let from = before(&mut rng, 1, 5);
            let weight = POINTS[p].1 * (0.5 + rng.f());
            partners.push(Partner {
                id: format!("DS{:03}", j + 1),
                name: format!("{}{}贸易有限公司", POINTS[p].2, rng.pick(TRADE_NAMES)),
                model: CooperationModel::Distribution,
                grade: if weight > 10.0 {
                    "A"
                } else if weight > 5.0 {
                    "B"
                } else {
                    "C"
                }
                .into(),
                parent: Some(GENERAL_AGENTS[ga].0.into()),
                channel: Some("DIST".into()),
                territories: vec![TerritoryGrant {
                    territory: POINTS[p].0.into(),
                    exclusive: dist_count_at(p) == 1,
                }],
                onboarding: onboarding(&mut rng, Level::Distributor),
                status: status(from),
            });
            infos.push(PartnerInfo {
                level: Level::Distributor,
                channel: chan("DIST"),
                points: vec![p],
                weight,
                from,
                to: Date(i32::MAX),
                gap: None,
            });
        }
        // Retailers, franchisees and agents under the distributors.
        let (mut n_rt, mut n_fr, mut n_ag) = (0, 0, 0);
        for j in 0..n_leaf {
            let d = j % n_dist;
            let p = dist_point[d].1;
            let u = rng.f();
            let (id, model, channel, suffix) = if u < 0.5 {
                n_rt += 1;
                (
                    format!("RT{n_rt:03}"),
                    CooperationModel::Distribution,
                    "RETAIL",
                    "茶行",
                )
            } else if u < 0.8 {
                n_fr += 1;
                (
                    format!("FR{n_fr:03}"),
                    CooperationModel::Franchise,
                    "FRANCHISE",
                    "茗禾加盟店",
                )
            } else {
                n_ag += 1;
                (
                    format!("AG{n_ag:03}"),
                    CooperationModel::Agency,
                    "AGENCY",
                    "代理服务部",
                )
            };
            // Most signed before the period; about 15 % join during its first half.
            let from = if rng.chance(0.85) {
                before(&mut rng, 0, 4)
            } else {
                c.start
                    .add_days(rng.range(1, i64::from(days / 2).max(1)) as i32)
            };
            let weight = POINTS[p].1 * (0.1 + 0.5 * rng.f());
            partners.push(Partner {
                id,
                name: format!("{}{}{}", POINTS[p].2, rng.pick(TRADE_NAMES), suffix),
                model,
                grade: if weight > 4.0 {
                    "A"
                } else if weight > 2.0 {
                    "B"
                } else {
                    "C"
                }
                .into(),
                parent: Some(partners[GENERAL_AGENTS.len() + d].id.clone()),
                channel: Some(channel.into()),
                territories: vec![TerritoryGrant {
                    territory: POINTS[p].0.into(),
                    exclusive: false,
                }],
                onboarding: onboarding(&mut rng, Level::Leaf),
                status: status(from),
            });
            infos.push(PartnerInfo {
                level: Level::Leaf,
                channel: chan(channel),
                points: vec![p],
                weight,
                from,
                to: Date(i32::MAX),
                gap: None,
            });
        }

        // Planted partners: distinct, active the whole period, never suspended.
        let steady = |i: usize, infos: &[PartnerInfo]| infos[i].from <= c.start;
        let mut used: Vec<usize> = Vec::new();
        let choose = |rng: &mut Rng,
                      infos: &[PartnerInfo],
                      used: &mut Vec<usize>,
                      f: &dyn Fn(usize) -> bool| {
            let cands: Vec<usize> = (0..infos.len())
                .filter(|&i| f(i) && steady(i, infos) && !used.contains(&i))
                .collect();
            let i = if cands.is_empty() {
                0
            } else {
                *rng.pick(&cands)
            };
            used.push(i);
            i
        };
        let is_dist = |i: usize| infos[i].level == Level::Distributor;
        let cross_partner = choose(&mut rng, &infos, &mut used, &is_dist);
        let overstock_partner = choose(&mut rng, &infos, &mut used, &is_dist);
        let floor_partner = choose(&mut rng, &infos, &mut used, &|i| {
            infos[i].level == Level::Leaf && infos[i].channel == chan("RETAIL")
        });
        let complaints_partner = choose(&mut rng, &infos, &mut used, &|i| {
            infos[i].level == Level::Leaf && infos[i].channel == chan("FRANCHISE")
        });
        // Suspensions and terminations among the other retailers/franchisees/agents.
        let mut suspended = Vec::new();
        let mut terminated = Vec::new();
        for k in 0..5 {
            let i = choose(&mut rng, &infos, &mut used, &|i| {
                infos[i].level == Level::Leaf
            });
            let at = c.start.add_days(rng.range(
                i64::from(days / 4),
                i64::from(days * 3 / 4).max(i64::from(days / 4)),
            ) as i32);
            let p = &mut partners[i];
            if k < 3 {
                let back = at.add_days(rng.range(45, 120) as i32);
                p.status.push(StatusChange {
                    status: PartnerStatus::Suspended,
                    since: at,
                });
                if k < 2 {
                    p.status.push(StatusChange {
                        status: PartnerStatus::Active,
                        since: back,
                    });
                    infos[i].gap = Some((at, back));
                } else {
                    infos[i].to = at;
                }
                suspended.push(p.id.clone());
            } else {
                p.status.push(StatusChange {
                    status: PartnerStatus::Terminated,
                    since: at,
                });
                infos[i].to = at;
                terminated.push(p.id.clone());
            }
        }
        doc.partners = partners;

        // Categories and products.
        let mut rng = Rng::stream(c.seed, 2);
        doc.categories = CATEGORIES
            .iter()
            .map(|&(id, name, parent)| Category {
                id: id.into(),
                name: name.into(),
                parent: (!parent.is_empty()).then(|| parent.into()),
            })
            .collect();
        let mut prod_weight = Vec::with_capacity(c.products);
        let mut prod_cost = Vec::with_capacity(c.products);
        let mut prod_launch = Vec::with_capacity(c.products);
        let mut products = Vec::with_capacity(c.products);
        for i in 0..c.products {
            let (cat, base, price, vk) = BASES[i % BASES.len()];
            let round = i / BASES.len();
            let variants = VARIANTS[usize::from(vk)];
            let (label, pct) = variants[round % variants.len()];
            let name = if round < variants.len() {
                format!("{base} {label}")
            } else {
                format!("{base} {label} 第{}代", round / variants.len() + 1)
            };
            // List prices end in 8 or 9 yuan where they can, as Chinese shelf prices do.
            let mut yuan = (price * pct / 100).max(3);
            if yuan >= 20 {
                yuan = yuan / 10 * 10 + if rng.chance(0.7) { 8 } else { 9 };
            }
            let launched = if rng.chance(0.88) {
                c.start.add_days(-(rng.range(60, 6 * 365) as i32))
            } else {
                c.start
                    .add_days(rng.range(30, i64::from(days).max(31) * 3 / 4) as i32)
            };
            products.push(Product {
                id: format!("SKU{:04}", i + 1),
                name,
                category: cat.into(),
                list_price: Decimal::from(yuan),
                launched: Some(launched),
            });
            let floor = yuan * 100 * 85 / 100;
            prod_cost.push(floor * rng.range(550, 800) / 1000);
            prod_weight.push(rng.pareto(60.0) * if cat.starts_with("TEA") { 1.5 } else { 1.0 });
            prod_launch.push(launched);
        }

        // The price system: a unified retail price and a floor per product; a 6 % rise for
        // about a third of the products halfway through; lower floors on the live-stream
        // channel for some; higher prices in the west for others (freight).
        let change = add_months(c.start, (c.months / 2) as i32);
        let mut prices = Vec::new();
        let mut changed = Vec::new();
        let live = CHANNELS[chan("LIVE")].id;
        for (i, p) in products.iter().enumerate() {
            let retail = p.list_price;
            let floor = (retail * Decimal::new(85, 2)).round_dp(0);
            let entry = |retail: Decimal, floor: Decimal| PriceEntry {
                product: p.id.clone(),
                channel: None,
                territory: None,
                retail_price: retail,
                floor_price: floor,
                valid_from: None,
                valid_to: None,
            };
            if c.months >= 2 && rng.chance(0.33) {
                prices.push(PriceEntry {
                    valid_to: Some(change.add_days(-1)),
                    ..entry(retail, floor)
                });
                let r2 = (retail * Decimal::new(106, 2)).round_dp(0);
                let f2 = (floor * Decimal::new(106, 2)).round_dp(0).min(r2);
                prices.push(PriceEntry {
                    valid_from: Some(change),
                    ..entry(r2, f2)
                });
                changed.push(p.id.clone());
            } else {
                prices.push(entry(retail, floor));
            }
            if i % 9 == 4 {
                let f = (retail * Decimal::new(75, 2)).round_dp(0);
                prices.push(PriceEntry {
                    channel: Some(live.into()),
                    ..entry(retail, f)
                });
            }
            if i % 11 == 7 {
                let r = (retail * Decimal::new(105, 2)).round_dp(0);
                let f = (floor * Decimal::new(105, 2)).round_dp(0).min(r);
                prices.push(PriceEntry {
                    territory: Some("CN-W".into()),
                    ..entry(r, f)
                });
            }
        }
        doc.products = products;
        doc.prices = prices;

        // Customers, in first-seen order: 40 % known before the period, the rest acquired
        // on days spread over it.
        let mut rng = Rng::stream(c.seed, 3);
        let point_cum = cumulative(POINTS.iter().map(|p| p.1));
        let n_old = c.customers * 2 / 5;
        let mut firsts: Vec<Date> = (0..c.customers)
            .map(|k| {
                if k < n_old {
                    c.start.add_days(-(rng.range(1, 3 * 365) as i32))
                } else {
                    c.start.add_days(rng.below(days.max(1) as u64) as i32)
                }
            })
            .collect();
        firsts.sort_unstable();
        let mut cust_point = Vec::with_capacity(c.customers);
        let mut cust_weight = Vec::with_capacity(c.customers);
        let mut cust_acq = Vec::with_capacity(c.customers);
        let mut customers = Vec::with_capacity(c.customers);
        // Partners per (channel, point), to find who can win a customer.
        let mut at: Vec<Vec<usize>> = vec![Vec::new(); CHANNELS.len() * POINTS.len()];
        for (i, p) in infos.iter().enumerate() {
            for &pt in &p.points {
                at[p.channel * POINTS.len() + pt].push(i);
            }
        }
        for (k, &first) in firsts.iter().enumerate() {
            let point = draw(&point_cum, point_cum.len(), rng.f());
            let w = rng.pareto(200.0);
            // The acquisition channel follows the channel mix of the day, partner channels
            // only where a partner is active then.
            let month = (first.month_index() - c.start.month_index()).max(0);
            let online = rng.chance(0.5);
            let weights: Vec<f64> = CHANNELS
                .iter()
                .enumerate()
                .map(|(ci, d)| {
                    let ok = !d.partner
                        || at[ci * POINTS.len() + point]
                            .iter()
                            .any(|&p| infos[p].active(first));
                    if !ok || (d.presence == Online) != online {
                        0.0
                    } else {
                        d.share * growth(d.growth, month)
                    }
                })
                .collect();
            let cum = cumulative(weights);
            let acq = if cum.last().is_some_and(|&t| t > 0.0) {
                draw(&cum, cum.len(), rng.f())
            } else {
                chan("TMALL")
            };
            let tier = if w > 30.0 {
                Some("diamond")
            } else if w > 8.0 {
                Some("gold")
            } else if w > 3.0 {
                Some("silver")
            } else if rng.chance(0.7) {
                Some("regular")
            } else {
                None
            };
            customers.push(Customer {
                id: format!("C{:07}", k + 1),
                acquisition_channel: Some(CHANNELS[acq].id.into()),
                territory: Some(POINTS[point].0.into()),
                first_seen: Some(first),
                member_tier: tier.map(Into::into),
            });
            cust_point.push(point as u16);
            cust_weight.push(w);
            cust_acq.push(acq as u8);
        }
        doc.customers = customers;

        let planted = Planted {
            cross_region_partner: doc.partners[cross_partner].id.clone(),
            below_floor_partner: doc.partners[floor_partner].id.clone(),
            overstocked_partner: doc.partners[overstock_partner].id.clone(),
            rising_complaints_partner: doc.partners[complaints_partner].id.clone(),
            suspended_partners: suspended,
            terminated_partners: terminated,
            growing_channels: vec!["LIVE".into(), "SOCIAL".into()],
            declining_channels: vec!["PHONE".into()],
            price_change: (!changed.is_empty()).then_some(change),
            price_change_products: changed,
            ..Planted::default()
        };
        Ok(World {
            doc,
            partners: infos,
            cust_point,
            cust_first: firsts,
            cust_weight,
            cust_acq,
            prod_weight,
            prod_cost,
            prod_launch,
            planted,
            cross_partner,
            floor_partner,
            overstock_partner,
            overstock_product: 0,
            complaints_partner,
        })
    }
}

/// `factor` compounded over `months` months, by repeated multiplication (bit-identical
/// everywhere, unlike `powi`, whose rounding is not specified).
fn growth(factor: f64, months: i32) -> f64 {
    let mut g = 1.0;
    for _ in 0..months.max(0) {
        g *= factor;
    }
    g
}

// ---------------------------------------------------------------------------------------------
// Transactions

#[derive(Debug, Clone, Copy)]
struct ReturnLine {
    channel: u8,
    partner: u32,
    point: u16,
    product: u32,
    quantity: i64,
    unit_price: i64,
    unit_cost: i64,
}

#[derive(Debug, Clone)]
struct PendingReturn {
    order: u64,
    customer: u32,
    lines: Vec<ReturnLine>,
}

/// A sampler over a growing prefix of items (customers or products ordered by the day they
/// become available), weighted.
#[derive(Debug, Default)]
struct Pool {
    items: Vec<u32>,
    cum: Vec<f64>,
    avail: usize,
}

impl Pool {
    fn advance(&mut self, ready: impl Fn(u32) -> bool) {
        while self.avail < self.items.len() && ready(self.items[self.avail]) {
            self.avail += 1;
        }
    }

    fn sample(&self, rng: &mut Rng) -> Option<u32> {
        (self.avail > 0).then(|| self.items[draw(&self.cum, self.avail, rng.f())])
    }
}

const RING: usize = 32;

#[derive(Debug)]
struct Gen<'c> {
    c: &'c SampleConfig,
    w: World,
    b: DatasetBuilder,
    rng: Rng,
    end: Date,
    // Codes in the master data.
    chan_code: Vec<u32>,
    partner_code: Vec<u32>,
    point_code: Vec<u32>,
    product_code: Vec<u32>,
    // Ids, for `TxInput`.
    cust_ids: Vec<String>,
    // Samplers.
    customers_all: Pool,
    customers_at: Vec<Pool>,
    products: Pool,
    partners_of: Vec<(Vec<usize>, Vec<f64>)>,
    point_cum: Vec<f64>,
    top_products: Vec<usize>,
    // State.
    order_no: u64,
    return_no: u64,
    order_id: String,
    returns: Vec<Vec<PendingReturn>>,
    // Accumulators per month index.
    partner_month_rev: Vec<Vec<i64>>,
    partner_month_lines: Vec<Vec<u32>>,
    chan_month_rev: Vec<Vec<i64>>,
    chan_month_lines: Vec<Vec<u32>>,
    /// Units per partner × top product × month.
    stock_units: Vec<Vec<Vec<i64>>>,
    lines_out: usize,
}

impl<'c> Gen<'c> {
    fn new(c: &'c SampleConfig, w: World) -> Result<Self> {
        let master = MasterData::new(w.doc.clone())?;
        let code = |x: Option<u32>, what: &str, id: &str| {
            x.ok_or_else(|| {
                Error::invalid_argument("sample", format!("generated master data lost {what} {id}"))
            })
        };
        let chan_code = CHANNELS
            .iter()
            .map(|d| code(master.channels.code(d.id), "channel", d.id))
            .collect::<Result<Vec<_>>>()?;
        let partner_code = w
            .doc
            .partners
            .iter()
            .map(|p| code(master.partners.code(&p.id), "partner", &p.id))
            .collect::<Result<Vec<_>>>()?;
        let point_code = POINTS
            .iter()
            .map(|p| code(master.territories.code(p.0), "territory", p.0))
            .collect::<Result<Vec<_>>>()?;
        let product_code = w
            .doc
            .products
            .iter()
            .map(|p| code(master.products.code(&p.id), "product", &p.id))
            .collect::<Result<Vec<_>>>()?;
        let cust_ids: Vec<String> = w.doc.customers.iter().map(|x| x.id.clone()).collect();

        let mut customers_all = Pool::default();
        let mut customers_at: Vec<Pool> = (0..POINTS.len()).map(|_| Pool::default()).collect();
        let mut acc = 0.0;
        let mut acc_at = vec![0.0; POINTS.len()];
        for (k, &wt) in w.cust_weight.iter().enumerate() {
            acc += wt;
            customers_all.items.push(k as u32);
            customers_all.cum.push(acc);
            let p = usize::from(w.cust_point[k]);
            acc_at[p] += wt;
            customers_at[p].items.push(k as u32);
            customers_at[p].cum.push(acc_at[p]);
        }
        let mut order: Vec<u32> = (0..w.prod_launch.len() as u32).collect();
        order.sort_by_key(|&i| (w.prod_launch[i as usize], i));
        let products = Pool {
            cum: cumulative(order.iter().map(|&i| w.prod_weight[i as usize])),
            items: order,
            avail: 0,
        };
        let partners_of = (0..CHANNELS.len())
            .map(|ci| {
                let list: Vec<usize> = (0..w.partners.len())
                    .filter(|&i| w.partners[i].channel == ci)
                    .collect();
                let cum = cumulative(list.iter().map(|&i| w.partners[i].weight));
                (list, cum)
            })
            .collect();
        let mut top: Vec<usize> = (0..w.prod_weight.len())
            .filter(|&i| w.prod_launch[i] <= c.start)
            .collect();
        top.sort_by(|&a, &b| {
            w.prod_weight[b]
                .total_cmp(&w.prod_weight[a])
                .then(a.cmp(&b))
        });
        top.truncate(10);
        let months = c.months as usize;
        let np = w.partners.len();
        let mut b = DatasetBuilder::new(master, Strictness::Strict);
        b.reserve(c.lines);
        Ok(Gen {
            c,
            end: add_months(c.start, c.months as i32),
            rng: Rng::stream(c.seed, 4),
            chan_code,
            partner_code,
            point_code,
            product_code,
            cust_ids,
            customers_all,
            customers_at,
            products,
            partners_of,
            point_cum: cumulative(POINTS.iter().map(|p| p.1)),
            stock_units: vec![vec![vec![0; months]; top.len()]; np],
            top_products: top,
            order_no: 0,
            return_no: 0,
            order_id: String::with_capacity(16),
            returns: (0..RING).map(|_| Vec::new()).collect(),
            partner_month_rev: vec![vec![0; months]; np],
            partner_month_lines: vec![vec![0; months]; np],
            chan_month_rev: vec![vec![0; months]; CHANNELS.len()],
            chan_month_lines: vec![vec![0; months]; CHANNELS.len()],
            lines_out: 0,
            b,
            w,
        })
    }

    fn run(&mut self) -> Result<()> {
        let c = self.c;
        let days = (self.end.0 - c.start.0) as usize;
        // Day and channel weights.
        let chan_day = |day: Date, ci: usize| {
            let d = &CHANNELS[ci];
            let m = day.month_index() - c.start.month_index();
            d.share * growth(d.growth, m) * season(day, d.presence == Online)
        };
        let day_weight: Vec<f64> = (0..days)
            .map(|i| {
                let day = c.start.add_days(i as i32);
                (0..CHANNELS.len()).map(|ci| chan_day(day, ci)).sum()
            })
            .collect();
        let total: f64 = day_weight.iter().sum();
        let mut quota = Vec::with_capacity(days);
        let mut acc = 0.0;
        let mut given = 0usize;
        for (i, w) in day_weight.iter().enumerate() {
            acc += w;
            let upto = if i + 1 == days {
                c.lines
            } else {
                ((acc / total) * c.lines as f64) as usize
            };
            let upto = upto.clamp(given, c.lines);
            quota.push(upto - given);
            given = upto;
        }
        // Planted lines, spread over the second half of the period.
        let n_planted = if c.lines == 0 {
            0
        } else {
            (c.lines / 2000).clamp(5, 500)
        };
        let half = days / 2;
        let mut planted_at = vec![(0u32, 0u32); days];
        for k in 0..n_planted {
            let d = half + k * (days - half) / n_planted.max(1);
            planted_at[d.min(days - 1)].0 += 1;
            let d2 = half + (2 * k + 1) * (days - half) / (2 * n_planted.max(1));
            planted_at[d2.min(days - 1)].1 += 1;
        }
        // The overstocked product: the partner's best seller among the top products.
        self.w.overstock_product = self.top_products.first().copied().unwrap_or(0);
        let cross_targets = self.foreign_points(self.w.cross_partner);

        let mut carry = (0u32, 0u32);
        for (di, &q) in quota.iter().enumerate() {
            let day = c.start.add_days(di as i32);
            let month = (day.month_index() - c.start.month_index()) as usize;
            let mut room = q;
            {
                let w = &self.w;
                self.customers_all
                    .advance(|k| w.cust_first[k as usize] <= day);
                for pool in &mut self.customers_at {
                    pool.advance(|k| w.cust_first[k as usize] <= day);
                }
                self.products.advance(|i| w.prod_launch[i as usize] <= day);
            }
            // 1. Planted trouble.
            let (mut cross, mut below) = (planted_at[di].0 + carry.0, planted_at[di].1 + carry.1);
            while cross > 0 && room > 0 && !cross_targets.is_empty() {
                let n = cross.min(3).min(room as u32);
                let point = *self.rng.pick(&cross_targets);
                self.planted_order(day, month, self.w.cross_partner, point, n as usize, false)?;
                cross -= n;
                room -= n as usize;
            }
            while below > 0 && room > 0 {
                let n = below.min(3).min(room as u32);
                let point = self.w.partners[self.w.floor_partner].points[0];
                self.planted_order(day, month, self.w.floor_partner, point, n as usize, true)?;
                below -= n;
                room -= n as usize;
            }
            carry = (cross, below);
            // 2. Returns due today.
            let due = std::mem::take(&mut self.returns[di % RING]);
            for r in due {
                if room == 0 {
                    break;
                }
                room -= self.emit_return(day, month, r, room)?;
            }
            // 3. First purchases of the customers acquired today.
            let mut k = self.first_index(day);
            while room > 0 && k < self.w.cust_first.len() && self.w.cust_first[k] == day {
                let ci = usize::from(self.w.cust_acq[k]);
                let point = usize::from(self.w.cust_point[k]);
                let partner = if CHANNELS[ci].partner {
                    self.partner_at(ci, point, day)
                } else {
                    None
                };
                let (ci, partner) = match partner {
                    Some(p) => (ci, Some(p)),
                    None if CHANNELS[ci].partner => (0, None),
                    None => (ci, None),
                };
                let n = self.lines_per_order(ci).min(room);
                self.order(day, month, ci, partner, point, k as u32, n)?;
                room -= n;
                k += 1;
            }
            // 4. Everybody else, by the channel mix of the day.
            let cum = cumulative((0..CHANNELS.len()).map(|ci| chan_day(day, ci)));
            while room > 0 {
                let mut ci = draw(&cum, cum.len(), self.rng.f());
                let mut partner = None;
                if CHANNELS[ci].partner {
                    partner = self.pick_partner(ci, day);
                    if partner.is_none() {
                        ci = 0;
                    }
                }
                let (point, customer) = match partner {
                    Some(p) => {
                        let pts = &self.w.partners[p].points;
                        let point = if pts.len() == 1 {
                            pts[0]
                        } else {
                            let cum: Vec<f64> = cumulative(pts.iter().map(|&x| POINTS[x].1));
                            pts[draw(&cum, cum.len(), self.rng.f())]
                        };
                        let cust = self.customers_at[point]
                            .sample(&mut self.rng)
                            .or_else(|| self.customers_all.sample(&mut self.rng));
                        (point, cust)
                    }
                    None => {
                        let cust = self.customers_all.sample(&mut self.rng);
                        (
                            cust.map_or_else(
                                || draw(&self.point_cum, self.point_cum.len(), 0.5),
                                |k| usize::from(self.w.cust_point[k as usize]),
                            ),
                            cust,
                        )
                    }
                };
                let customer = customer.unwrap_or(0);
                let n = self.lines_per_order(ci).min(room);
                self.order(day, month, ci, partner, point, customer, n)?;
                room -= n;
            }
        }
        Ok(())
    }

    /// Index of the first customer first seen on `day` (customers are in first-seen order).
    fn first_index(&self, day: Date) -> usize {
        self.w.cust_first.partition_point(|&d| d < day)
    }

    /// Points a partner is not authorised for, preferring those in its own region (窜货
    /// usually leaks into the neighbouring market).
    fn foreign_points(&self, partner: usize) -> Vec<usize> {
        let m = self.b.master();
        let tree = &m.territories.tree;
        let region = |t: u32| tree.ancestors(t).find(|&a| tree.depth(a) == 1);
        let outside: Vec<usize> = (0..POINTS.len())
            .filter(|&p| !m.is_authorised(self.partner_code[partner], self.point_code[p]))
            .collect();
        let own = region(self.point_code[self.w.partners[partner].points[0]]);
        let near: Vec<usize> = outside
            .iter()
            .copied()
            .filter(|&p| region(self.point_code[p]) == own)
            .collect();
        if near.is_empty() { outside } else { near }
    }

    fn lines_per_order(&mut self, ci: usize) -> usize {
        let u = self.rng.f();
        let n = if u < 0.5 {
            1
        } else if u < 0.75 {
            2
        } else if u < 0.9 {
            3
        } else if u < 0.97 {
            4
        } else {
            5
        };
        if CHANNELS[ci].kind == K::Distribution {
            n + 1
        } else {
            n
        }
    }

    fn pick_partner(&mut self, ci: usize, day: Date) -> Option<usize> {
        let (list, cum) = &self.partners_of[ci];
        if list.is_empty() {
            return None;
        }
        for _ in 0..8 {
            let p = list[draw(cum, cum.len(), self.rng.f())];
            if self.w.partners[p].active(day) {
                return Some(p);
            }
        }
        None
    }

    fn partner_at(&mut self, ci: usize, point: usize, day: Date) -> Option<usize> {
        let cands: Vec<usize> = self.partners_of[ci]
            .0
            .iter()
            .copied()
            .filter(|&p| {
                self.w.partners[p].points.contains(&point) && self.w.partners[p].active(day)
            })
            .collect();
        (!cands.is_empty()).then(|| *self.rng.pick(&cands))
    }

    fn next_order_id(&mut self, prefix: &str, no: u64) {
        use std::fmt::Write;
        self.order_id.clear();
        let _ = write!(self.order_id, "{prefix}{no:010}");
    }

    fn quantity(&mut self, ci: usize) -> i64 {
        match CHANNELS[ci].kind {
            K::Distribution => self.rng.range(2, 12),
            K::Other => self.rng.range(5, 40),
            K::RetailTerminal | K::Franchise | K::Agency => {
                if self.rng.chance(0.7) {
                    1
                } else {
                    self.rng.range(2, 6)
                }
            }
            _ => {
                let u = self.rng.f();
                if u < 0.72 {
                    1
                } else if u < 0.92 {
                    2
                } else {
                    self.rng.range(3, 5)
                }
            }
        }
    }

    fn sample_product(&mut self) -> usize {
        self.products
            .sample(&mut self.rng)
            .map_or(0, |i| i as usize)
    }

    /// The retail and floor price in force.
    fn price(&self, product: usize, ci: usize, point: usize, day: Date) -> (i64, i64) {
        let m = self.b.master();
        match m.prices.lookup(
            &m.territories.tree,
            self.product_code[product],
            self.chan_code[ci],
            self.point_code[point],
            day,
        ) {
            Some(r) => (r.retail_price, r.floor_price),
            None => {
                let l = m.products.list_price(self.product_code[product]);
                (l, l)
            }
        }
    }

    /// One ordinary sale order of `n` lines.
    #[expect(clippy::too_many_arguments, reason = "one line's fields, hot path")]
    fn order(
        &mut self,
        day: Date,
        month: usize,
        ci: usize,
        partner: Option<usize>,
        point: usize,
        customer: u32,
        n: usize,
    ) -> Result<()> {
        self.order_no += 1;
        let order_no = self.order_no;
        self.next_order_id("SO", order_no);
        let returning = self.rng.chance(0.05);
        let mut ret = PendingReturn {
            order: order_no,
            customer,
            lines: Vec::new(),
        };
        let mut chosen = [usize::MAX; 6];
        for line in 0..n {
            let mut product = self.sample_product();
            for _ in 0..3 {
                if !chosen[..line.min(6)].contains(&product) {
                    break;
                }
                product = self.sample_product();
            }
            if line < 6 {
                chosen[line] = product;
            }
            let quantity = self.quantity(ci);
            let (retail, floor) = self.price(product, ci, point, day);
            let u = self.rng.f();
            let pct = if u < 0.6 {
                100
            } else if u < 0.8 {
                95
            } else if u < 0.92 {
                90
            } else {
                0
            };
            let unit_price = (retail * pct / 100 / 10 * 10).max(floor);
            let unit_cost = self.w.prod_cost[product];
            self.push_line(
                day,
                month,
                ci,
                partner,
                point,
                customer,
                product,
                line as u32 + 1,
                quantity,
                unit_price,
                unit_cost,
                None,
            )?;
            if returning && (line == 0 || self.rng.chance(0.5)) {
                let q = self.rng.range(1, quantity);
                ret.lines.push(ReturnLine {
                    channel: ci as u8,
                    partner: partner.map_or(u32::MAX, |p| p as u32),
                    point: point as u16,
                    product: product as u32,
                    quantity: q,
                    unit_price,
                    unit_cost,
                });
            }
        }
        if CHANNELS[ci].presence == Online {
            let promised = day.add_days(if CHANNELS[ci].kind == K::PlatformEcommerce {
                2
            } else {
                3
            });
            let u = self.rng.f();
            let delivered = if u < 0.9 {
                promised.add_days(-(self.rng.range(0, 1) as i32))
            } else {
                promised.add_days(self.rng.range(1, 4) as i32)
            };
            let order = self.order_id.clone();
            self.b.ops_mut().deliveries.push(Delivery {
                order,
                partner: partner.map_or(NONE, |p| self.partner_code[p]),
                channel: self.chan_code[ci],
                ordered: day,
                promised,
                delivered: (delivered < self.end).then_some(delivered),
            });
        }
        if !ret.lines.is_empty() {
            let after = self.rng.range(3, 30) as usize;
            let di = (day.0 - self.c.start.0) as usize + after;
            if di < (self.end.0 - self.c.start.0) as usize {
                self.returns[di % RING].push(ret);
            }
        }
        Ok(())
    }

    /// A planted order: cross-region (`below == false`) or below the floor.
    fn planted_order(
        &mut self,
        day: Date,
        month: usize,
        partner: usize,
        point: usize,
        n: usize,
        below: bool,
    ) -> Result<()> {
        self.order_no += 1;
        self.next_order_id("SO", self.order_no);
        let ci = self.w.partners[partner].channel;
        let customer = self.customers_at[point]
            .sample(&mut self.rng)
            .or_else(|| self.customers_all.sample(&mut self.rng))
            .unwrap_or(0);
        for line in 0..n {
            let product = self.sample_product();
            let quantity = self.quantity(ci);
            let (retail, floor) = self.price(product, ci, point, day);
            let unit_price = if below {
                let p = floor * 85 / 100 / 10 * 10;
                if p < floor { p } else { floor - 1 }
            } else {
                retail
            };
            let unit_cost = self.w.prod_cost[product];
            self.push_line(
                day,
                month,
                ci,
                Some(partner),
                point,
                customer,
                product,
                line as u32 + 1,
                quantity,
                unit_price,
                unit_cost,
                None,
            )?;
            let pl = PlantedLine {
                partner: self.w.doc.partners[partner].id.clone(),
                territory: POINTS[point].0.into(),
                order: self.order_id.clone(),
                line: line as u32 + 1,
            };
            if below {
                self.w.planted.below_floor.push(pl);
            } else {
                self.w.planted.cross_region.push(pl);
            }
        }
        Ok(())
    }

    /// Emit the lines of a return that fit in `room`; returns how many.
    fn emit_return(
        &mut self,
        day: Date,
        month: usize,
        r: PendingReturn,
        room: usize,
    ) -> Result<usize> {
        self.return_no += 1;
        let original = {
            use std::fmt::Write;
            let mut s = String::with_capacity(12);
            let _ = write!(s, "SO{:010}", r.order);
            s
        };
        self.next_order_id("RO", self.return_no);
        let n = r.lines.len().min(room);
        for (i, l) in r.lines.iter().take(n).enumerate() {
            let partner = (l.partner != u32::MAX).then_some(l.partner as usize);
            self.push_line(
                day,
                month,
                usize::from(l.channel),
                partner,
                usize::from(l.point),
                r.customer,
                l.product as usize,
                i as u32 + 1,
                -l.quantity,
                l.unit_price,
                l.unit_cost,
                Some(&original),
            )?;
        }
        Ok(n)
    }

    #[expect(clippy::too_many_arguments, reason = "one line's fields, hot path")]
    fn push_line(
        &mut self,
        day: Date,
        month: usize,
        ci: usize,
        partner: Option<usize>,
        point: usize,
        customer: u32,
        product: usize,
        line: u32,
        quantity: i64,
        unit_price: i64,
        unit_cost: i64,
        original_order: Option<&str>,
    ) -> Result<()> {
        let amount = quantity * unit_price;
        let t = TxInput {
            order: &self.order_id,
            line,
            date: day,
            customer: &self.cust_ids[customer as usize],
            partner: partner.map(|p| self.w.doc.partners[p].id.as_str()),
            channel: CHANNELS[ci].id,
            product: &self.w.doc.products[product].id,
            territory: POINTS[point].0,
            kind: if quantity < 0 {
                TxKind::Return
            } else {
                TxKind::Sale
            },
            quantity,
            unit_price,
            amount,
            cost: Some(quantity * unit_cost),
            original_order,
        };
        self.lines_out += 1;
        self.b.push(&t, self.lines_out as u64)?;
        self.chan_month_rev[ci][month] += amount;
        self.chan_month_lines[ci][month] += 1;
        if let Some(p) = partner {
            self.partner_month_rev[p][month] += amount;
            self.partner_month_lines[p][month] += 1;
            if let Some(k) = self.top_products.iter().position(|&x| x == product) {
                self.stock_units[p][k][month] += quantity;
            }
        }
        Ok(())
    }

    /// The operational tables, from what was sold.
    fn finish(mut self) -> Result<Sample> {
        let c = self.c;
        let mut rng = Rng::stream(c.seed, 5);
        let months = c.months as usize;
        let month_start = |m: usize| add_months(c.start, m as i32);
        let np = self.w.partners.len();
        let w = &self.w;
        let ops = self.b.ops_mut();
        let round_to = |v: i64, unit: i64| (v + unit / 2) / unit * unit;

        // Targets: monthly revenue per partner and channel, set a little off what happened.
        for p in 0..np {
            for m in 0..months {
                let start = month_start(m);
                if !w.partners[p].active(start) && self.partner_month_rev[p][m] == 0 {
                    continue;
                }
                let actual = self.partner_month_rev[p][m];
                let target = round_to(actual * rng.range(85, 120) / 100, 100_000).max(100_000);
                ops.targets.push(Target {
                    subject_kind: TargetSubject::Partner,
                    subject: self.partner_code[p],
                    period: Period::month_of(start),
                    measure: Measure::Revenue,
                    value: target,
                });
            }
        }
        for (ci, d) in CHANNELS.iter().enumerate() {
            if d.share == 0.0 {
                continue;
            }
            for m in 0..months {
                let actual = self.chan_month_rev[ci][m];
                let period = Period::month_of(month_start(m));
                ops.targets.push(Target {
                    subject_kind: TargetSubject::Channel,
                    subject: self.chan_code[ci],
                    period,
                    measure: Measure::Revenue,
                    value: round_to(actual * rng.range(90, 115) / 100, 1_000_000).max(1_000_000),
                });
                ops.targets.push(Target {
                    subject_kind: TargetSubject::Channel,
                    subject: self.chan_code[ci],
                    period,
                    measure: Measure::Orders,
                    value: i64::from(self.chan_month_lines[ci][m]) * rng.range(60, 75) / 100,
                });
                // Channel cost: a share of revenue plus a fixed monthly base.
                let cost = actual * d.cost_permille * rng.range(90, 110) / 100_000 + 2_000_000;
                ops.channel_costs.push(ChannelCost {
                    channel: self.chan_code[ci],
                    period,
                    cost: round_to(cost, 100),
                });
            }
        }

        // Inventory: month-end counts of the top products at partners that hold stock.
        for p in 0..np {
            if w.doc.partners[p].model != CooperationModel::Distribution {
                continue;
            }
            for (k, &product) in self.top_products.iter().enumerate() {
                for m in 0..months {
                    let day = month_start(m + 1).add_days(-1);
                    if !w.partners[p].active(day) {
                        continue;
                    }
                    let dim = i64::from(month_start(m + 1).0 - month_start(m).0);
                    let units = self.stock_units[p][k][m].max(0);
                    let overstocked = p == w.overstock_partner && product == w.overstock_product;
                    if units == 0 && !overstocked {
                        // Nothing sold, nothing counted: keeps small samples small.
                        continue;
                    }
                    let cover = if overstocked {
                        150 + 20 * m as i64
                    } else {
                        rng.range(10, 45)
                    };
                    let mut on_hand = units * cover / dim;
                    if overstocked {
                        on_hand = on_hand.max(600 + 50 * m as i64);
                    }
                    ops.inventory.push(InventorySnapshot {
                        partner: self.partner_code[p],
                        product: self.product_code[product],
                        date: day,
                        on_hand,
                        daily_sales_rate: Decimal::new(units * 100 / dim, 2),
                    });
                }
            }
        }

        // Complaints and satisfaction, per partner and month, and for direct channels.
        let mut cp_no = 0u32;
        let n_cust = w.cust_ids_len();
        let mut complaint = |ops: &mut crate::ops::Operational,
                             rng: &mut Rng,
                             partner: u32,
                             channel: u32,
                             m: usize| {
            cp_no += 1;
            let start = month_start(m);
            let dim = i64::from(month_start(m + 1).0 - start.0);
            let opened = Timestamp(i64::from(start.0) * 86_400 + rng.range(0, dim * 86_400 - 1));
            let u = rng.f();
            let hours = if u < 0.85 {
                rng.range(1, 23)
            } else if u < 0.97 {
                rng.range(25, 96)
            } else {
                -1
            };
            let resolved = (hours > 0)
                .then(|| Timestamp(opened.0 + hours * 3600 + rng.range(0, 3599)))
                .filter(|t| t.date() < self.end);
            let customer = if n_cust > 0 {
                rng.below(n_cust as u64) as u32
            } else {
                NONE
            };
            ops.complaints.push(Complaint {
                id: format!("CP{cp_no:07}"),
                partner,
                channel,
                customer,
                opened,
                resolved,
            });
        };
        let score = |rng: &mut Rng, worse: f64| -> u8 {
            let u = rng.f() + worse;
            if u < 0.45 {
                5
            } else if u < 0.80 {
                4
            } else if u < 0.92 {
                3
            } else if u < 0.97 {
                2
            } else {
                1
            }
        };
        for p in 0..np {
            let rising = p == w.complaints_partner;
            for m in 0..months {
                let lines = self.partner_month_lines[p][m];
                if lines == 0 && !rising {
                    continue;
                }
                let n = if rising {
                    1 + m as i64
                } else {
                    let x = f64::from(lines) / 400.0;
                    (x + rng.f()) as i64
                };
                for _ in 0..n {
                    complaint(
                        ops,
                        &mut rng,
                        self.partner_code[p],
                        self.chan_code[w.partners[p].channel],
                        m,
                    );
                }
                let worse = if rising { 0.03 * m as f64 } else { 0.0 };
                for _ in 0..rng.range(1, 1 + i64::from(lines / 100).clamp(1, 4)) {
                    let day = month_start(m).add_days(rng.range(0, 27) as i32);
                    ops.satisfaction.push(Satisfaction {
                        partner: self.partner_code[p],
                        channel: self.chan_code[w.partners[p].channel],
                        customer: NONE,
                        date: day,
                        score: score(&mut rng, worse),
                    });
                }
            }
        }
        for (ci, d) in CHANNELS.iter().enumerate() {
            if d.partner || d.share == 0.0 {
                continue;
            }
            for m in 0..months {
                let x = f64::from(self.chan_month_lines[ci][m]) / 500.0;
                for _ in 0..(x + rng.f()) as i64 {
                    complaint(ops, &mut rng, NONE, self.chan_code[ci], m);
                }
                let worse = if d.kind == K::Telephone { 0.1 } else { 0.0 };
                for _ in 0..rng.range(8, 14) {
                    let day = month_start(m).add_days(rng.range(0, 27) as i32);
                    let customer = if n_cust > 0 {
                        rng.below(n_cust as u64) as u32
                    } else {
                        NONE
                    };
                    ops.satisfaction.push(Satisfaction {
                        partner: NONE,
                        channel: self.chan_code[ci],
                        customer,
                        date: day,
                        score: score(&mut rng, worse),
                    });
                }
            }
        }

        // Touchpoints: about a third of the new customers were reached by marketing in the
        // three weeks before their first purchase; the last touch is often the channel that
        // then won them.
        let marketing: Vec<usize> = ["SOCIALMEDIA", "LIVE", "SOCIAL", "COMMUNITY", "TMALL", "JD"]
            .iter()
            .filter_map(|id| CHANNELS.iter().position(|d| d.id == *id))
            .collect();
        for k in 0..w.cust_first.len() {
            let first = w.cust_first[k];
            if first < c.start || !rng.chance(0.35) {
                continue;
            }
            let acq = usize::from(w.cust_acq[k]);
            let n = rng.range(1, 4);
            for t in 0..n {
                let ci = if t == n - 1 && marketing.contains(&acq) && rng.chance(0.7) {
                    acq
                } else {
                    *rng.pick(&marketing)
                };
                let before = (n - t) * rng.range(1, 5);
                let time = Timestamp(
                    i64::from(first.0 - before as i32) * 86_400 + rng.range(8 * 3600, 23 * 3600),
                );
                let cost = match CHANNELS[ci].kind {
                    K::SocialMedia => rng.range(150, 800),
                    K::LiveStream => rng.range(200, 1200),
                    K::PlatformEcommerce => rng.range(100, 600),
                    _ => rng.range(20, 300),
                };
                ops.touchpoints.push(Touchpoint {
                    customer: k as u32,
                    time,
                    channel: self.chan_code[ci],
                    cost,
                });
            }
        }
        let mut planted = std::mem::take(&mut self.w.planted);
        planted.overstocked_product = self.w.doc.products[self.w.overstock_product].id.clone();
        let dataset = self.b.finish()?;
        Ok(Sample { dataset, planted })
    }
}

impl World {
    fn cust_ids_len(&self) -> usize {
        self.cust_first.len()
    }
}
