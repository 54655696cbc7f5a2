//! Master data, checked and resolved: ids interned to dense codes, references resolved,
//! hierarchies built, money converted to minor units.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::error::{Error, Location, Result};
use crate::intern::{Interner, NONE};
use crate::model::{
    Category, Channel, ChannelKind, CooperationModel, Customer, Partner, PriceEntry, Product,
    Territory,
};
use crate::money::{Currency, MoneyError};
use crate::reject::{RejectReason, Rejection, RejectionReport, Sink, Strictness};
use crate::tree::Tree;

/// Master data as a document: what hosts write as JSON, TOML or YAML.
///
/// ```
/// let doc = qudao::master::MasterDocument::from_json(r#"{
///   "currency": "CNY",
///   "territories": [{"id": "CN", "level": "country"}],
///   "channels": [{"id": "web", "kind": "direct", "presence": "online", "role": "main"}],
///   "products": [{"id": "SKU1", "category": "tea", "list_price": "12.50"}]
/// }"#).unwrap();
/// let master = qudao::master::MasterData::new(doc).unwrap();
/// assert_eq!(master.products.list_price(0), 1250);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MasterDocument {
    /// Currency of every amount (`"CNY"` or `{"code": "CNY", "exponent": 2}`).
    #[serde(default, with = "currency_text")]
    pub currency: Currency,
    /// Territories.
    #[serde(default)]
    pub territories: Vec<Territory>,
    /// Channels.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Partners.
    #[serde(default)]
    pub partners: Vec<Partner>,
    /// Product categories; when empty, categories are taken from the products (flat).
    #[serde(default)]
    pub categories: Vec<Category>,
    /// Products.
    #[serde(default)]
    pub products: Vec<Product>,
    /// Price list.
    #[serde(default)]
    pub prices: Vec<PriceEntry>,
    /// Customers; when empty, customers are registered as transactions name them.
    #[serde(default)]
    pub customers: Vec<Customer>,
}

mod currency_text {
    use super::Currency;
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        Code(String),
        Full { code: String, exponent: u8 },
    }

    pub fn serialize<S: Serializer>(c: &Currency, s: S) -> Result<S::Ok, S::Error> {
        use serde::Serialize;
        c.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Currency, D::Error> {
        match Form::deserialize(d)? {
            Form::Code(code) => Currency::from_code(&code),
            Form::Full { code, exponent } => Currency::new(&code, exponent),
        }
        .map_err(serde::de::Error::custom)
    }
}

impl MasterDocument {
    /// Parse JSON; errors name the field path.
    pub fn from_json(text: &str) -> Result<Self> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            use serde_json::error::Category;
            match e.inner().classify() {
                Category::Syntax | Category::Eof | Category::Io => Error::Parse {
                    format: "json",
                    message: e.inner().to_string(),
                },
                Category::Data => path_error("json", e),
            }
        })
    }

    /// Parse TOML; errors name the field path.
    pub fn from_toml(text: &str) -> Result<Self> {
        let de = toml::Deserializer::parse(text).map_err(|e| Error::Parse {
            format: "toml",
            message: e.to_string(),
        })?;
        serde_path_to_error::deserialize(de).map_err(|e| path_error("toml", e))
    }

    /// Parse YAML; errors name the field path.
    pub fn from_yaml(text: &str) -> Result<Self> {
        let de = serde_norway::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| path_error("yaml", e))
    }

    /// Serialise as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Turn a serde error with its path into a document error (or a parse error at the root).
pub(crate) fn path_error<E: std::fmt::Display>(
    format: &'static str,
    e: serde_path_to_error::Error<E>,
) -> Error {
    let path = e.path().to_string();
    if path == "." {
        Error::Parse {
            format,
            message: e.inner().to_string(),
        }
    } else {
        let message = e.inner().to_string();
        let mark = crate::document::SUBPATH;
        if let Some(a) = message.find(mark)
            && let Some(len) = message[a + 1..].find(mark)
        {
            let sub = &message[a + 1..a + 1 + len];
            let rest = &message[a + 2 + len..];
            let lead = message[..a].trim_end();
            let text = if lead.is_empty() {
                rest.to_string()
            } else {
                format!("{rest} ({})", lead.trim_end_matches(':'))
            };
            return Error::document(format!("{path}.{sub}"), text);
        }
        Error::document(path, message)
    }
}

/// Where each record of a master table came from, so errors can name a file and line instead
/// of a document path.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    tables: HashMap<&'static str, (String, Vec<u64>)>,
}

impl Origins {
    /// Record that the records of `table` came from `source`, record `i` on line `lines[i]`.
    pub fn set(&mut self, table: &'static str, source: String, lines: Vec<u64>) {
        self.tables.insert(table, (source, lines));
    }

    fn locate(&self, table: &str, index: usize, field: &str, value: Option<&str>) -> Location {
        match self.tables.get(table) {
            Some((source, lines)) => Location {
                source: source.clone(),
                line: lines.get(index).copied().unwrap_or(0),
                column: Some(field.to_owned()),
                value: value.map(str::to_owned),
            },
            None => Location {
                source: format!("{table}[{index}].{field}"),
                line: index as u64 + 1,
                column: Some(field.to_owned()),
                value: value.map(str::to_owned),
            },
        }
    }
}

/// One master table: records in code order and their id interner.
#[derive(Debug, Clone)]
pub struct Entities<T> {
    records: Vec<T>,
    ids: Interner,
}

impl<T> Default for Entities<T> {
    fn default() -> Self {
        Entities {
            records: Vec::new(),
            ids: Interner::default(),
        }
    }
}

impl<T> Entities<T> {
    /// The code of an id.
    #[inline]
    pub fn code(&self, id: &str) -> Option<u32> {
        self.ids.code(id)
    }

    /// The record of a code.
    pub fn get(&self, code: u32) -> Option<&T> {
        self.records.get(code as usize)
    }

    /// The id of a code (panics if out of range).
    pub fn id(&self, code: u32) -> &str {
        self.ids.name(code)
    }

    /// All records in code order.
    pub fn records(&self) -> &[T] {
        &self.records
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The id interner.
    pub fn ids(&self) -> &Interner {
        &self.ids
    }
}

/// Entities arranged in a hierarchy.
#[derive(Debug, Clone)]
pub struct Hierarchy<T> {
    /// The records.
    pub entities: Entities<T>,
    /// Their tree.
    pub tree: Tree,
}

impl<T> Default for Hierarchy<T> {
    fn default() -> Self {
        Hierarchy {
            entities: Entities::default(),
            tree: Tree::default(),
        }
    }
}

impl<T> std::ops::Deref for Hierarchy<T> {
    type Target = Entities<T>;
    fn deref(&self) -> &Entities<T> {
        &self.entities
    }
}

/// Partners with their resolved references.
#[derive(Debug, Clone, Default)]
pub struct Partners {
    /// Records and partner tree (general agent → distributor → retailer).
    pub hierarchy: Hierarchy<Partner>,
    grants: Vec<Vec<(u32, bool)>>,
    channel: Vec<u32>,
    registered_capital: Vec<Option<i64>>,
}

impl std::ops::Deref for Partners {
    type Target = Hierarchy<Partner>;
    fn deref(&self) -> &Hierarchy<Partner> {
        &self.hierarchy
    }
}

impl Partners {
    /// Authorised territory codes of a partner, with their exclusivity.
    pub fn grants(&self, partner: u32) -> &[(u32, bool)] {
        &self.grants[partner as usize]
    }

    /// The partner's fixed channel code, or [`NONE`].
    pub fn channel(&self, partner: u32) -> u32 {
        self.channel[partner as usize]
    }

    /// Registered capital in minor units, if known.
    pub fn registered_capital(&self, partner: u32) -> Option<i64> {
        self.registered_capital[partner as usize]
    }

    /// The partner's cooperation model.
    pub fn model(&self, partner: u32) -> CooperationModel {
        self.records[partner as usize].model
    }
}

/// Products with category codes and list prices in minor units.
#[derive(Debug, Clone, Default)]
pub struct Products {
    /// Records.
    pub entities: Entities<Product>,
    category: Vec<u32>,
    list_price: Vec<i64>,
}

impl std::ops::Deref for Products {
    type Target = Entities<Product>;
    fn deref(&self) -> &Entities<Product> {
        &self.entities
    }
}

impl Products {
    /// Category code of a product.
    pub fn category(&self, product: u32) -> u32 {
        self.category[product as usize]
    }

    /// List price in minor units.
    pub fn list_price(&self, product: u32) -> i64 {
        self.list_price[product as usize]
    }
}

/// A resolved price-list entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRule {
    /// Index of the entry in [`MasterDocument::prices`] (after rejections).
    pub entry: u32,
    /// Channel code or [`NONE`] for all channels.
    pub channel: u32,
    /// Territory code or [`NONE`] for all territories.
    pub territory: u32,
    /// First valid day.
    pub valid_from: Date,
    /// Last valid day (inclusive).
    pub valid_to: Date,
    /// Unified retail price, minor units.
    pub retail_price: i64,
    /// Floor price, minor units.
    pub floor_price: i64,
}

/// The price list, indexed by product.
#[derive(Debug, Clone, Default)]
pub struct PriceList {
    entries: Vec<PriceEntry>,
    by_product: Vec<Vec<PriceRule>>,
}

impl PriceList {
    /// The entries as given.
    pub fn entries(&self) -> &[PriceEntry] {
        &self.entries
    }

    /// The rules of one product.
    pub fn rules(&self, product: u32) -> &[PriceRule] {
        self.by_product
            .get(product as usize)
            .map_or(&[], |v| v.as_slice())
    }

    /// The price rule in force for a sale of `product` through `channel` in `territory` on
    /// `day`: among the valid entries that match, a channel-specific entry beats a general
    /// one, then the entry on the deepest territory wins (a city beats its province).
    pub fn lookup(
        &self,
        territories: &Tree,
        product: u32,
        channel: u32,
        territory: u32,
        day: Date,
    ) -> Option<&PriceRule> {
        self.rules(product)
            .iter()
            .filter(|r| r.valid_from <= day && day <= r.valid_to)
            .filter(|r| r.channel == NONE || r.channel == channel)
            .filter(|r| {
                r.territory == NONE
                    || (territory != NONE && territories.is_within(territory, r.territory))
            })
            .max_by_key(|r| (r.channel != NONE, specificity(territories, r.territory)))
    }
}

fn specificity(t: &Tree, territory: u32) -> i32 {
    if territory == NONE {
        -1
    } else {
        i32::from(t.depth(territory))
    }
}

/// Customers, held column-wise because there may be millions.
#[derive(Debug, Clone, Default)]
pub struct Customers {
    ids: Interner,
    acquisition_channel: Vec<u32>,
    territory: Vec<u32>,
    first_seen: Vec<Option<Date>>,
    member_tier: Vec<u32>,
    tiers: Interner,
    /// Whether customers not in the table are registered when transactions name them.
    open: bool,
    /// Customer codes sorted by id, built on first use.
    id_order: std::sync::OnceLock<Vec<u32>>,
}

impl Customers {
    /// Code of a customer id.
    #[inline]
    pub fn code(&self, id: &str) -> Option<u32> {
        self.ids.code(id)
    }

    /// Id of a customer code.
    pub fn id(&self, code: u32) -> &str {
        self.ids.name(code)
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Acquisition channel code or [`NONE`].
    pub fn acquisition_channel(&self, c: u32) -> u32 {
        self.acquisition_channel[c as usize]
    }

    /// Home territory code or [`NONE`].
    pub fn territory(&self, c: u32) -> u32 {
        self.territory[c as usize]
    }

    /// First-seen date, if known.
    pub fn first_seen(&self, c: u32) -> Option<Date> {
        self.first_seen[c as usize]
    }

    /// Member tier name, if enrolled.
    pub fn member_tier(&self, c: u32) -> Option<&str> {
        let t = self.member_tier[c as usize];
        (t != NONE).then(|| self.tiers.name(t))
    }

    /// The customer id interner.
    pub fn ids(&self) -> &Interner {
        &self.ids
    }

    /// Customer codes in ascending id order (byte-wise), built once and kept: results that
    /// list customers use it so their order does not depend on the input's row order.
    pub fn id_order(&self) -> &[u32] {
        self.id_order.get_or_init(|| self.ids.codes_by_id())
    }

    /// Each customer's position in [`Customers::id_order`], by code.
    pub fn id_rank(&self) -> Vec<u32> {
        let mut rank = vec![0u32; self.len()];
        for (r, &c) in self.id_order().iter().enumerate() {
            rank[c as usize] = r as u32;
        }
        rank
    }

    /// Whether unknown customers are registered on first sight (no customer table given).
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The code of a customer, registering it if the table is open.
    pub(crate) fn code_or_register(&mut self, id: &str) -> Option<u32> {
        if let Some(c) = self.ids.code(id) {
            return Some(c);
        }
        if !self.open {
            return None;
        }
        let c = self.ids.intern(id);
        self.id_order = std::sync::OnceLock::new();
        self.acquisition_channel.push(NONE);
        self.territory.push(NONE);
        self.first_seen.push(None);
        self.member_tier.push(NONE);
        Some(c)
    }

    /// A closed table of just these ids (no acquisition channel, territory, first-seen date
    /// or tier).
    pub(crate) fn from_ids(ids: Interner) -> Customers {
        let n = ids.len();
        Customers {
            ids,
            acquisition_channel: vec![NONE; n],
            territory: vec![NONE; n],
            first_seen: vec![None; n],
            member_tier: vec![NONE; n],
            tiers: Interner::default(),
            open: false,
            id_order: std::sync::OnceLock::new(),
        }
    }

    /// Close the table (no more registrations).
    pub(crate) fn close(&mut self) {
        self.open = false;
    }

    /// The records back as serde data.
    pub fn to_records(&self) -> Vec<Customer> {
        (0..self.len() as u32)
            .map(|c| Customer {
                id: self.id(c).to_owned(),
                acquisition_channel: None,
                territory: None,
                first_seen: self.first_seen(c),
                member_tier: self.member_tier(c).map(str::to_owned),
            })
            .collect()
    }
}

/// Checked and resolved master data.
#[derive(Debug, Clone, Default)]
pub struct MasterData {
    /// The currency of every amount.
    pub currency: Currency,
    /// Territory tree.
    pub territories: Hierarchy<Territory>,
    /// Channel tree.
    pub channels: Hierarchy<Channel>,
    /// Partners and the partner tree.
    pub partners: Partners,
    /// Category tree.
    pub categories: Hierarchy<Category>,
    /// Products.
    pub products: Products,
    /// Price list.
    pub prices: PriceList,
    /// Customers.
    pub customers: Customers,
}

impl MasterData {
    /// Check and resolve a document; the first problem is an error naming its field path.
    pub fn new(doc: MasterDocument) -> Result<MasterData> {
        let mut report = RejectionReport::default();
        let (m, _) = Self::build(doc, Strictness::Strict, &Origins::default(), &mut report)?;
        Ok(m)
    }

    /// Check and resolve a document. In lenient mode bad records are dropped into `report`
    /// (and so are records that referenced them); in strict mode the first is an error.
    /// Cycles in a hierarchy are errors in both modes. Returns the data and, per table, the
    /// index in the document of each kept record.
    pub fn build(
        doc: MasterDocument,
        mode: Strictness,
        origins: &Origins,
        report: &mut RejectionReport,
    ) -> Result<(MasterData, HashMap<&'static str, Vec<usize>>)> {
        let mut sink = Sink { mode, report };
        let mut kept = HashMap::new();
        let currency = doc.currency.clone();
        let cx = Cx { origins };

        let (territories, k) = cx.hierarchy(
            "territories",
            doc.territories,
            |t| &t.id,
            |t| t.parent.as_deref(),
            &mut sink,
        )?;
        kept.insert("territories", k);
        let (channels, k) = cx.hierarchy(
            "channels",
            doc.channels,
            |t| &t.id,
            |t| t.parent.as_deref(),
            &mut sink,
        )?;
        kept.insert("channels", k);

        let mut category_records = doc.categories;
        if category_records.is_empty() {
            let mut seen = Interner::default();
            for p in &doc.products {
                if seen.insert_unique(&p.category).is_some() {
                    category_records.push(Category {
                        id: p.category.clone(),
                        name: p.category.clone(),
                        parent: None,
                    });
                }
            }
        }
        let (categories, k) = cx.hierarchy(
            "categories",
            category_records,
            |t| &t.id,
            |t| t.parent.as_deref(),
            &mut sink,
        )?;
        kept.insert("categories", k);

        // Products.
        let mut products = Products::default();
        let mut kept_products = Vec::new();
        for (i, p) in doc.products.into_iter().enumerate() {
            let Some(cat) = cx.reference(
                &mut sink,
                "products",
                i,
                "category",
                Some(&p.category),
                &categories.entities,
                "category",
            )?
            else {
                continue;
            };
            let price = match cx.money(
                &mut sink,
                &currency,
                "products",
                i,
                "list_price",
                p.list_price,
            )? {
                Some(v) if v >= 0 => v,
                Some(_) => {
                    cx.reject(
                        &mut sink,
                        "products",
                        i,
                        "list_price",
                        Some(&p.list_price.to_string()),
                        RejectReason::OutOfRange,
                        "a list price cannot be negative",
                    )?;
                    continue;
                }
                None => continue,
            };
            if products.entities.ids.insert_unique(&p.id).is_none() {
                cx.reject(
                    &mut sink,
                    "products",
                    i,
                    "id",
                    Some(&p.id),
                    RejectReason::DuplicateId,
                    format!("duplicate product id {:?}", p.id),
                )?;
                continue;
            }
            products.category.push(cat);
            products.list_price.push(price);
            products.entities.records.push(p);
            kept_products.push(i);
        }
        kept.insert("products", kept_products);

        // Partners: the per-record checks first, then the tree over the survivors.
        let mut partner_records = Vec::with_capacity(doc.partners.len());
        let mut partner_index = Vec::with_capacity(doc.partners.len());
        let mut partner_refs = Vec::with_capacity(doc.partners.len());
        'partner: for (i, p) in doc.partners.into_iter().enumerate() {
            let channel = match &p.channel {
                Some(_) => match cx.reference(
                    &mut sink,
                    "partners",
                    i,
                    "channel",
                    p.channel.as_deref(),
                    &channels.entities,
                    "channel",
                )? {
                    Some(c) => c,
                    None => continue,
                },
                None => NONE,
            };
            let mut grants = Vec::with_capacity(p.territories.len());
            for g in &p.territories {
                match cx.reference(
                    &mut sink,
                    "partners",
                    i,
                    "territories",
                    Some(&g.territory),
                    &territories.entities,
                    "territory",
                )? {
                    Some(t) => grants.push((t, g.exclusive)),
                    None => continue 'partner,
                }
            }
            let capital = match p.onboarding.registered_capital {
                Some(v) => {
                    match cx.money(&mut sink, &currency, "partners", i, "registered_capital", v)? {
                        Some(m) => Some(m),
                        None => continue,
                    }
                }
                None => None,
            };
            if let Some(share) = p.onboarding.regional_market_share
                && (share < rust_decimal::Decimal::ZERO || share > rust_decimal::Decimal::ONE)
            {
                cx.reject(
                    &mut sink,
                    "partners",
                    i,
                    "regional_market_share",
                    Some(&share.to_string()),
                    RejectReason::OutOfRange,
                    "a market share is a fraction between 0 and 1",
                )?;
                continue;
            }
            if let Some(bad) = p
                .onboarding
                .brand_alignment
                .iter()
                .find(|&&a| !(1..=5).contains(&a))
            {
                cx.reject(
                    &mut sink,
                    "partners",
                    i,
                    "brand_alignment",
                    Some(&bad.to_string()),
                    RejectReason::OutOfRange,
                    "brand-alignment answers are on a 1–5 scale",
                )?;
                continue;
            }
            if p.status.windows(2).any(|w| w[1].since < w[0].since) {
                cx.reject(
                    &mut sink,
                    "partners",
                    i,
                    "status",
                    None,
                    RejectReason::BadValue,
                    "status changes must be in date order",
                )?;
                continue;
            }
            partner_records.push(p);
            partner_index.push(i);
            partner_refs.push((channel, grants, capital));
        }
        let (hierarchy, kept_sub) = cx.hierarchy_at(
            "partners",
            partner_records,
            &partner_index,
            |p| &p.id,
            |p| p.parent.as_deref(),
            &mut sink,
        )?;
        let mut partners = Partners {
            hierarchy,
            ..Default::default()
        };
        let mut refs: Vec<Option<_>> = partner_refs.into_iter().map(Some).collect();
        for &j in &kept_sub {
            if let Some((channel, grants, capital)) = refs[j].take() {
                partners.channel.push(channel);
                partners.grants.push(grants);
                partners.registered_capital.push(capital);
            }
        }
        kept.insert(
            "partners",
            kept_sub.iter().map(|&j| partner_index[j]).collect(),
        );
        Self::finish(
            currency,
            territories,
            channels,
            categories,
            products,
            partners,
            doc.prices,
            doc.customers,
            kept,
            cx,
            &mut sink,
        )
    }

    #[expect(clippy::too_many_arguments, reason = "internal step of `build`")]
    fn finish(
        currency: Currency,
        territories: Hierarchy<Territory>,
        channels: Hierarchy<Channel>,
        categories: Hierarchy<Category>,
        products: Products,
        partners: Partners,
        price_entries: Vec<PriceEntry>,
        customer_records: Vec<Customer>,
        mut kept: HashMap<&'static str, Vec<usize>>,
        cx: Cx<'_>,
        sink: &mut Sink<'_>,
    ) -> Result<(MasterData, HashMap<&'static str, Vec<usize>>)> {
        // Prices.
        let mut prices = PriceList {
            entries: Vec::new(),
            by_product: vec![Vec::new(); products.len()],
        };
        let mut kept_prices = Vec::new();
        for (i, e) in price_entries.into_iter().enumerate() {
            let Some(product) = cx.reference(
                sink,
                "prices",
                i,
                "product",
                Some(&e.product),
                &products.entities,
                "product",
            )?
            else {
                continue;
            };
            let channel = match &e.channel {
                None => NONE,
                Some(_) => match cx.reference(
                    sink,
                    "prices",
                    i,
                    "channel",
                    e.channel.as_deref(),
                    &channels.entities,
                    "channel",
                )? {
                    Some(c) => c,
                    None => continue,
                },
            };
            let territory = match &e.territory {
                None => NONE,
                Some(_) => match cx.reference(
                    sink,
                    "prices",
                    i,
                    "territory",
                    e.territory.as_deref(),
                    &territories.entities,
                    "territory",
                )? {
                    Some(t) => t,
                    None => continue,
                },
            };
            let Some(retail) =
                cx.money(sink, &currency, "prices", i, "retail_price", e.retail_price)?
            else {
                continue;
            };
            let Some(floor) =
                cx.money(sink, &currency, "prices", i, "floor_price", e.floor_price)?
            else {
                continue;
            };
            if floor < 0 || floor > retail {
                cx.reject(
                    sink,
                    "prices",
                    i,
                    "floor_price",
                    Some(&e.floor_price.to_string()),
                    RejectReason::OutOfRange,
                    "the floor price must be between 0 and the retail price",
                )?;
                continue;
            }
            let from = e.valid_from.unwrap_or(Date(i32::MIN));
            let to = e.valid_to.unwrap_or(Date(i32::MAX));
            if to < from {
                cx.reject(
                    sink,
                    "prices",
                    i,
                    "valid_to",
                    e.valid_to.map(|d| d.to_string()).as_deref(),
                    RejectReason::OutOfRange,
                    "valid_to is before valid_from",
                )?;
                continue;
            }
            let rule = PriceRule {
                entry: prices.entries.len() as u32,
                channel,
                territory,
                valid_from: from,
                valid_to: to,
                retail_price: retail,
                floor_price: floor,
            };
            let rules = &mut prices.by_product[product as usize];
            if let Some(other) = rules.iter().find(|r| {
                r.channel == channel
                    && r.territory == territory
                    && r.valid_from <= to
                    && from <= r.valid_to
            }) {
                let other_index = kept_prices[other.entry as usize];
                cx.reject(sink, "prices", i, "valid_from", None, RejectReason::BadValue, format!(
                    "overlaps price entry {other_index} for the same product, channel and territory; which price applies would be ambiguous"
                ))?;
                continue;
            }
            rules.push(rule);
            prices.entries.push(e);
            kept_prices.push(i);
        }
        kept.insert("prices", kept_prices);

        // Customers.
        let open = customer_records.is_empty();
        let n = customer_records.len();
        let mut customers = Customers {
            ids: Interner::with_capacity(n),
            acquisition_channel: Vec::with_capacity(n),
            territory: Vec::with_capacity(n),
            first_seen: Vec::with_capacity(n),
            member_tier: Vec::with_capacity(n),
            tiers: Interner::default(),
            open,
            id_order: std::sync::OnceLock::new(),
        };
        let mut kept_customers = Vec::with_capacity(n);
        for (i, c) in customer_records.into_iter().enumerate() {
            let channel = match &c.acquisition_channel {
                None => NONE,
                Some(_) => match cx.reference(
                    sink,
                    "customers",
                    i,
                    "acquisition_channel",
                    c.acquisition_channel.as_deref(),
                    &channels.entities,
                    "channel",
                )? {
                    Some(v) => v,
                    None => continue,
                },
            };
            let territory = match &c.territory {
                None => NONE,
                Some(_) => match cx.reference(
                    sink,
                    "customers",
                    i,
                    "territory",
                    c.territory.as_deref(),
                    &territories.entities,
                    "territory",
                )? {
                    Some(v) => v,
                    None => continue,
                },
            };
            if customers.ids.insert_unique(&c.id).is_none() {
                cx.reject(
                    sink,
                    "customers",
                    i,
                    "id",
                    Some(&c.id),
                    RejectReason::DuplicateId,
                    format!("duplicate customer id {:?}", c.id),
                )?;
                continue;
            }
            customers.acquisition_channel.push(channel);
            customers.territory.push(territory);
            customers.first_seen.push(c.first_seen);
            customers.member_tier.push(
                c.member_tier
                    .as_deref()
                    .map_or(NONE, |t| customers.tiers.intern(t)),
            );
            kept_customers.push(i);
        }
        kept.insert("customers", kept_customers);

        Ok((
            MasterData {
                currency,
                territories,
                channels,
                partners,
                categories,
                products,
                prices,
                customers,
            },
            kept,
        ))
    }

    /// The master data back as a document (customers included).
    pub fn to_document(&self) -> MasterDocument {
        let mut customers = self.customers.to_records();
        for (code, c) in customers.iter_mut().enumerate() {
            let ch = self.customers.acquisition_channel(code as u32);
            c.acquisition_channel = (ch != NONE).then(|| self.channels.id(ch).to_owned());
            let t = self.customers.territory(code as u32);
            c.territory = (t != NONE).then(|| self.territories.id(t).to_owned());
        }
        MasterDocument {
            currency: self.currency.clone(),
            territories: self.territories.records().to_vec(),
            channels: self.channels.records().to_vec(),
            partners: self.partners.records().to_vec(),
            categories: self.categories.records().to_vec(),
            products: self.products.records().to_vec(),
            prices: self.prices.entries().to_vec(),
            customers,
        }
    }

    /// Kind of a channel by code.
    pub fn channel_kind(&self, channel: u32) -> Option<ChannelKind> {
        self.channels.get(channel).map(|c| c.kind)
    }

    /// Whether `partner` is authorised to sell in `territory` (hierarchy-aware: a grant on a
    /// province covers its cities).
    ///
    /// ```
    /// # let doc = qudao::master::MasterDocument::from_json(r#"{
    /// #  "territories": [{"id": "CN", "level": "country"}, {"id": "ZJ", "level": "province", "parent": "CN"},
    /// #                  {"id": "HZ", "level": "city", "parent": "ZJ"}, {"id": "JS", "level": "province", "parent": "CN"}],
    /// #  "partners": [{"id": "P1", "model": "distribution", "territories": [{"territory": "ZJ"}]}]}"#).unwrap();
    /// let m = qudao::master::MasterData::new(doc).unwrap();
    /// let p = m.partners.code("P1").unwrap();
    /// assert!(m.is_authorised(p, m.territories.code("HZ").unwrap()));
    /// assert!(!m.is_authorised(p, m.territories.code("JS").unwrap()));
    /// ```
    pub fn is_authorised(&self, partner: u32, territory: u32) -> bool {
        self.partners
            .grants(partner)
            .iter()
            .any(|&(t, _)| self.territories.tree.is_within(territory, t))
    }

    /// The customer id interner.
    pub fn customers_ids(&self) -> &Interner {
        self.customers.ids()
    }

    pub(crate) fn customers_mut(&mut self) -> &mut Customers {
        &mut self.customers
    }
}

/// Context for resolving references and reporting where records came from.
#[derive(Clone, Copy)]
struct Cx<'a> {
    origins: &'a Origins,
}

impl Cx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn reject(
        &self,
        sink: &mut Sink<'_>,
        table: &'static str,
        index: usize,
        field: &str,
        value: Option<&str>,
        reason: RejectReason,
        message: impl Into<String>,
    ) -> Result<()> {
        let location = self.origins.locate(table, index, field, value);
        let message = message.into();
        if sink.mode == Strictness::Strict && !self.origins.tables.contains_key(table) {
            return Err(Error::document(
                format!("{table}[{index}].{field}"),
                message,
            ));
        }
        sink.reject(Rejection {
            table: table.to_owned(),
            location,
            reason,
            message,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn reference<T>(
        &self,
        sink: &mut Sink<'_>,
        table: &'static str,
        index: usize,
        field: &str,
        id: Option<&str>,
        target: &Entities<T>,
        what: &str,
    ) -> Result<Option<u32>> {
        let Some(id) = id else { return Ok(None) };
        match target.code(id) {
            Some(c) => Ok(Some(c)),
            None => {
                self.reject(
                    sink,
                    table,
                    index,
                    field,
                    Some(id),
                    RejectReason::UnknownReference,
                    format!("unknown {what} {id:?}"),
                )?;
                Ok(None)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn money(
        &self,
        sink: &mut Sink<'_>,
        currency: &Currency,
        table: &'static str,
        index: usize,
        field: &str,
        value: rust_decimal::Decimal,
    ) -> Result<Option<i64>> {
        match currency.from_decimal(value) {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                let reason = match e {
                    MoneyError::TooManyDecimals { .. } => RejectReason::TooManyDecimals,
                    _ => RejectReason::OutOfRange,
                };
                self.reject(
                    sink,
                    table,
                    index,
                    field,
                    Some(&value.to_string()),
                    reason,
                    format!("{e} ({currency})"),
                )?;
                Ok(None)
            }
        }
    }

    /// Dedupe ids, resolve parents (dropping records whose parent is unknown or dropped, to a
    /// fixpoint), intern the kept ids densely and build the tree.
    fn hierarchy<T>(
        &self,
        table: &'static str,
        records: Vec<T>,
        id: impl Fn(&T) -> &String,
        parent: impl Fn(&T) -> Option<&str>,
        sink: &mut Sink<'_>,
    ) -> Result<(Hierarchy<T>, Vec<usize>)> {
        let index: Vec<usize> = (0..records.len()).collect();
        self.hierarchy_at(table, records, &index, id, parent, sink)
    }

    /// [`Cx::hierarchy`] over records whose document indices are `index`; the returned
    /// positions are into `records`.
    fn hierarchy_at<T>(
        &self,
        table: &'static str,
        records: Vec<T>,
        index: &[usize],
        id: impl Fn(&T) -> &String,
        parent: impl Fn(&T) -> Option<&str>,
        sink: &mut Sink<'_>,
    ) -> Result<(Hierarchy<T>, Vec<usize>)> {
        let mut first: HashMap<&str, usize> = HashMap::with_capacity(records.len());
        let mut alive = vec![true; records.len()];
        for (i, r) in records.iter().enumerate() {
            let k = id(r).as_str();
            if k.is_empty() {
                self.reject(
                    sink,
                    table,
                    index[i],
                    "id",
                    Some(k),
                    RejectReason::MissingValue,
                    "empty id",
                )?;
                alive[i] = false;
            } else if first.contains_key(k) {
                self.reject(
                    sink,
                    table,
                    index[i],
                    "id",
                    Some(k),
                    RejectReason::DuplicateId,
                    format!("duplicate id {k:?} in {table}"),
                )?;
                alive[i] = false;
            } else {
                first.insert(k, i);
            }
        }
        loop {
            let mut changed = false;
            for (i, r) in records.iter().enumerate() {
                if !alive[i] {
                    continue;
                }
                if let Some(p) = parent(r)
                    && !first.get(p).is_some_and(|&j| alive[j])
                {
                    self.reject(
                        sink,
                        table,
                        index[i],
                        "parent",
                        Some(p),
                        RejectReason::UnknownReference,
                        format!("unknown parent {p:?}"),
                    )?;
                    alive[i] = false;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let mut ids = Interner::with_capacity(records.len());
        let mut kept_index = Vec::new();
        for (i, r) in records.iter().enumerate() {
            if alive[i] {
                ids.intern(id(r));
                kept_index.push(i);
            }
        }
        let parents: Vec<u32> = kept_index
            .iter()
            .map(|&i| {
                parent(&records[i])
                    .and_then(|p| ids.code(p))
                    .unwrap_or(NONE)
            })
            .collect();
        let tree = Tree::new(parents).map_err(|cycle| {
            let names: Vec<&str> = cycle.0.iter().map(|&c| ids.name(c)).collect();
            Error::document(
                format!("{table}[{}].parent", index[kept_index[cycle.0[0] as usize]]),
                format!("parent chain forms a cycle through {}", names.join(", ")),
            )
        })?;
        let mut recs: Vec<Option<T>> = records.into_iter().map(Some).collect();
        let records = kept_index.iter().filter_map(|&i| recs[i].take()).collect();
        Ok((
            Hierarchy {
                entities: Entities { records, ids },
                tree,
            },
            kept_index,
        ))
    }
}
