//! Master data records: channels, partners, territories, categories, products, prices,
//! customers.
//!
//! These are plain serde data with string ids and string references, so hosts can write them
//! as JSON/TOML/YAML or CSV. [`crate::master::MasterData`] checks and resolves them into
//! dense codes and trees.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::date::Date;

macro_rules! labelled_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = ($text:literal, $en:literal, $zh:literal)),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as written in data (`snake_case`).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// English label for reports.
            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }

            /// Simplified Chinese label for reports.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            /// Parse the data spelling (`snake_case`, case-insensitive, `-` or space for `_`).
            pub fn parse(text: &str) -> Option<$name> {
                let t = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
                match t.as_str() { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The accepted spellings, for error messages.
            pub fn expected() -> String {
                [$($text),+].join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

labelled_enum! {
    /// How a channel reaches customers (the domain brief's channel types).
    ChannelKind {
        /// Own website, own stores, own sales force (直销).
        Direct = ("direct", "Direct", "直销"),
        /// Partner buys, resells and carries the inventory risk (经销).
        Distribution = ("distribution", "Distribution", "经销"),
        /// Partner sells on the company's behalf for a commission (代理).
        Agency = ("agency", "Agency", "代理"),
        /// Partner uses the brand and pays franchise and management fees (加盟).
        Franchise = ("franchise", "Franchise", "加盟"),
        /// Marketplace platforms (平台电商).
        PlatformEcommerce = ("platform_ecommerce", "Platform e-commerce", "平台电商"),
        /// Social commerce and mini-programs (社交电商).
        SocialCommerce = ("social_commerce", "Social commerce", "社交电商"),
        /// Live-stream selling (直播带货).
        LiveStream = ("live_stream", "Live-stream", "直播带货"),
        /// Supermarkets, convenience and specialty stores (零售终端).
        RetailTerminal = ("retail_terminal", "Retail terminal", "零售终端"),
        /// Private-domain communities (私域社群).
        PrivateCommunity = ("private_community", "Private community", "私域社群"),
        /// Telephone sales (电话销售).
        Telephone = ("telephone", "Telephone", "电话销售"),
        /// Social media (社交媒体).
        SocialMedia = ("social_media", "Social media", "社交媒体"),
        /// Anything else (其他).
        Other = ("other", "Other", "其他"),
    }
}

labelled_enum! {
    /// Whether a channel sells online or offline.
    Presence {
        /// 线上.
        Online = ("online", "Online", "线上"),
        /// 线下.
        Offline = ("offline", "Offline", "线下"),
    }
}

labelled_enum! {
    /// A channel's role in the channel mix.
    ChannelRole {
        /// Main channel (主渠道).
        Main = ("main", "Main", "主渠道"),
        /// Auxiliary channel (辅助渠道).
        Auxiliary = ("auxiliary", "Auxiliary", "辅助渠道"),
    }
}

labelled_enum! {
    /// How a partner cooperates with the company (合作模式).
    CooperationModel {
        /// Buys and resells (经销).
        Distribution = ("distribution", "Distribution", "经销"),
        /// Sells for a commission (代理).
        Agency = ("agency", "Agency", "代理"),
        /// Uses the brand for fees (加盟).
        Franchise = ("franchise", "Franchise", "加盟"),
    }
}

labelled_enum! {
    /// A partner's lifecycle status.
    PartnerStatus {
        /// Being evaluated (潜在).
        Prospect = ("prospect", "Prospect", "潜在"),
        /// Signed and trading (合作中).
        Active = ("active", "Active", "合作中"),
        /// Temporarily stopped (暂停).
        Suspended = ("suspended", "Suspended", "暂停"),
        /// Cooperation ended (终止).
        Terminated = ("terminated", "Terminated", "终止"),
    }
}

labelled_enum! {
    /// The level of a territory in the territory tree.
    TerritoryLevel {
        /// 国家.
        Country = ("country", "Country", "国家"),
        /// 大区.
        Region = ("region", "Region", "大区"),
        /// 省.
        Province = ("province", "Province", "省"),
        /// 市.
        City = ("city", "City", "市"),
        /// 区县 and below.
        District = ("district", "District", "区县"),
    }
}

/// A sales channel (渠道).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// Stable id.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Channel type.
    pub kind: ChannelKind,
    /// Online or offline.
    pub presence: Presence,
    /// Main or auxiliary in the mix.
    pub role: ChannelRole,
    /// Parent channel id (channel tree), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// A territory (区域), a node of the country → region → province → city tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Territory {
    /// Stable id.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Level in the tree.
    pub level: TerritoryLevel,
    /// Parent territory id; `None` only for roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// A territory a partner is authorised to sell in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerritoryGrant {
    /// Territory id; the grant covers the territory and everything below it.
    pub territory: String,
    /// Whether no other partner may be authorised there (独家).
    #[serde(default)]
    pub exclusive: bool,
}

/// The onboarding attributes a partner was evaluated on (合作伙伴评估).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Onboarding {
    /// Holds a valid business licence (营业执照).
    #[serde(default)]
    pub licence_held: bool,
    /// Years in the industry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub years_in_industry: Option<u32>,
    /// Registered capital in major units of the data set's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_capital: Option<Decimal>,
    /// Team size (people).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_size: Option<u32>,
    /// Share of its regional market, as a fraction in `[0, 1]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regional_market_share: Option<Decimal>,
    /// Customer resources: number of key accounts reached (e.g. local supermarkets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_resources: Option<u32>,
    /// Answers to the brand-alignment questionnaire, each on a 1–5 scale.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub brand_alignment: Vec<u8>,
}

/// A change of a partner's status, effective from a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// The new status.
    pub status: PartnerStatus,
    /// First day it applies.
    pub since: Date,
}

/// A channel partner (渠道合作伙伴): general agent, distributor, retailer, agent, franchisee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partner {
    /// Stable id.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Cooperation model.
    pub model: CooperationModel,
    /// Grade or tier, free text (e.g. `A`, `gold`, `general_agent`).
    #[serde(default)]
    pub grade: String,
    /// Parent partner id (regional general agent → distributor → retailer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The channel this partner sells through, if fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Authorised territories.
    #[serde(default)]
    pub territories: Vec<TerritoryGrant>,
    /// Onboarding attributes.
    #[serde(default)]
    pub onboarding: Onboarding,
    /// Status history, oldest first; the last entry is the current status.
    #[serde(default)]
    pub status: Vec<StatusChange>,
}

impl Partner {
    /// The status in force on a day (`None` before the first recorded change).
    pub fn status_on(&self, day: Date) -> Option<PartnerStatus> {
        self.status
            .iter()
            .take_while(|c| c.since <= day)
            .last()
            .map(|c| c.status)
    }
}

/// A product category, a node of the category tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Stable id.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Parent category id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// A product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Stable id (SKU).
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Category id (a leaf or inner node of the category tree).
    pub category: String,
    /// List price in major units of the data set's currency.
    pub list_price: Decimal,
    /// Launch date, for new-product sell-through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launched: Option<Date>,
}

/// A price-list entry (价格体系): unified retail price and floor price of a product, optionally
/// only for one channel and/or territory (and the territories below it), optionally only
/// between two dates (inclusive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceEntry {
    /// Product id.
    pub product: String,
    /// Channel id the entry is limited to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Territory id the entry is limited to (with everything below it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub territory: Option<String>,
    /// Unified retail price (统一零售价), major units.
    pub retail_price: Decimal,
    /// Floor price (最低价), major units; at most the retail price.
    pub floor_price: Decimal,
    /// First valid day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<Date>,
    /// Last valid day (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Date>,
}

/// A customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// Stable id.
    pub id: String,
    /// The channel the customer was acquired through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquisition_channel: Option<String>,
    /// Home territory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub territory: Option<String>,
    /// First day the customer was seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Date>,
    /// Member tier (会员等级), if enrolled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_tier: Option<String>,
}
