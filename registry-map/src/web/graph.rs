//! The graph of members, their connected registers and the data flows between members (from the
//! exchange statistics), laid out on the server so the picture needs no script. What is not
//! connected is not drawn one by one (the full seed has tens of thousands of registers): it is
//! summed up per register type in a band below.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::catalogue::Catalogue;

use super::format::{self, member_href, register_href, type_href};
use super::index::Derived;

/// Most members drawn; the rest (fewest flows and registers) are counted, not drawn.
const MAX_MEMBERS: usize = 150;
/// Most registers drawn per member; the rest become one "+N" node.
const MAX_REGISTERS_PER_MEMBER: usize = 6;
/// Width of the picture (SVG user units).
const WIDTH: f64 = 1000.0;
/// Columns of the band of register types that are not connected.
const BAND_COLUMNS: usize = 10;
/// Height of one row of that band.
const BAND_ROW: f64 = 86.0;

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A member (authority).
    Member,
    /// A connected register.
    Register,
    /// More connected registers of a member than are drawn.
    More,
}

/// A node of the graph, placed.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// Member id or map-wide register id.
    pub id: String,
    /// What it is.
    pub kind: NodeKind,
    /// Full name.
    pub name: String,
    /// Name as drawn (shortened).
    pub label: String,
    /// Its page.
    pub href: String,
    /// Centre.
    pub x: f64,
    /// Centre.
    pub y: f64,
    /// Radius.
    pub r: f64,
    /// Where its label goes (below the circle).
    pub label_y: f64,
    /// For members: registers it keeps (connected or not); for "more": registers not drawn.
    pub registers: usize,
    /// For members: whether it runs a node; for registers: whether connected.
    pub connected: bool,
}

/// What an edge stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// A member keeps a register.
    Keeps,
    /// Evidence flowed from the provider (target) to the requester (source) on request.
    Flow,
}

/// An edge between two nodes (indexes into [`Graph::nodes`]).
#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    /// From (member; for flows the requester).
    pub source: usize,
    /// To (register; for flows the provider).
    pub target: usize,
    /// Id of the source node.
    pub from: String,
    /// Id of the target node.
    pub to: String,
    /// What it is.
    pub kind: EdgeKind,
    /// Exchanges that delivered evidence (flows), summed over all days.
    pub count: u64,
    /// Evidence types exchanged (flows).
    pub evidence_types: Vec<String>,
    /// SVG path, from the rim of the source to the rim of the target.
    pub path: String,
    /// Where its count label goes.
    pub label_x: f64,
    /// Where its count label goes.
    pub label_y: f64,
    /// Stroke width.
    pub width: f64,
}

/// The registers of one type that are not connected, summed up.
#[derive(Debug, Clone, Serialize)]
pub struct Aggregate {
    /// Type code.
    pub code: String,
    /// Type name.
    pub name: String,
    /// Name as drawn.
    pub label: String,
    /// The type's page.
    pub href: String,
    /// Registers of the type that are not connected.
    pub registers: usize,
    /// The same, formatted.
    pub registers_text: String,
    /// Centre.
    pub x: f64,
    /// Centre.
    pub y: f64,
    /// Radius.
    pub r: f64,
    /// Where its name goes.
    pub label_y: f64,
    /// Where its count goes.
    pub count_y: f64,
}

/// The laid-out graph.
#[derive(Debug, Clone, Serialize)]
pub struct Graph {
    /// Picture width.
    pub width: f64,
    /// Picture height.
    pub height: f64,
    /// Where the band of types that are not connected starts.
    pub band_top: f64,
    /// Members, registers and "more" nodes.
    pub nodes: Vec<Node>,
    /// Keeps and flow edges.
    pub edges: Vec<Edge>,
    /// Types with registers that are not connected, most registers first.
    pub aggregates: Vec<Aggregate>,
    /// Members with connected registers, a node or flows that are not drawn (beyond the limit).
    pub members_not_drawn: usize,
    /// Every evidence type in a flow.
    pub evidence_types: Vec<String>,
    /// Sum of all flow counts.
    pub exchanges: u64,
}

impl NodeKind {
    /// Its CSS class.
    pub fn class(self) -> &'static str {
        match self {
            NodeKind::Member => "member",
            NodeKind::Register => "register",
            NodeKind::More => "more",
        }
    }
}

impl EdgeKind {
    /// Its CSS class.
    pub fn class(self) -> &'static str {
        match self {
            EdgeKind::Keeps => "keeps",
            EdgeKind::Flow => "flow",
        }
    }
}

impl Graph {
    /// Nodes of a kind.
    pub fn count(&self, kind: NodeKind) -> usize {
        self.nodes.iter().filter(|n| n.kind == kind).count()
    }

    /// Flow edges.
    pub fn flows(&self) -> usize {
        self.edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Flow)
            .count()
    }

    /// Builds and lays out the graph of `catalogue`.
    pub fn build(catalogue: &Catalogue, derived: &Derived) -> Graph {
        let flows = summed_flows(catalogue);
        let (members, members_not_drawn) = members_to_draw(catalogue, derived, &flows);
        let mut drawing = Drawing::default();
        for id in &members {
            drawing.member(catalogue, derived, id);
        }
        for id in &members {
            drawing.registers(catalogue, derived, id);
        }
        let (evidence_types, exchanges) = drawing.flows(&flows);
        let Drawing {
            mut nodes,
            mut edges,
            ..
        } = drawing;

        let height = layout(&mut nodes, &edges);
        for node in &mut nodes {
            node.label_y = round(node.y + node.r + 11.0);
        }
        route(&nodes, &mut edges);

        let band_top = height + 30.0;
        let aggregates = band(catalogue, derived, band_top);
        let rows = aggregates.len().div_ceil(BAND_COLUMNS);
        let total_height = if rows == 0 {
            height
        } else {
            band_top + 40.0 + BAND_ROW * rows as f64
        };
        Graph {
            width: WIDTH,
            height: total_height,
            band_top,
            nodes,
            edges,
            aggregates,
            members_not_drawn,
            evidence_types: evidence_types.into_iter().collect(),
            exchanges,
        }
    }
}

/// Exchanges per (requester, provider), summed over the days: the count and the evidence types.
type Flows<'c> = BTreeMap<(&'c str, &'c str), (u64, BTreeSet<&'c str>)>;

/// The flows of the catalogue summed over days; a member's requests to itself are left out.
fn summed_flows(catalogue: &Catalogue) -> Flows<'_> {
    let mut flows = Flows::new();
    for flow in catalogue.flows() {
        let entry = flows
            .entry((flow.requester.as_str(), flow.provider.as_str()))
            .or_default();
        entry.0 += flow.count;
        entry.1.insert(flow.evidence_type.as_str());
    }
    flows.retain(|(requester, provider), _| requester != provider);
    flows
}

/// The members worth drawing (a node, connected registers or flows), by id: the busiest
/// [`MAX_MEMBERS`] by flows, then connected registers; and how many more there are.
fn members_to_draw<'c>(
    catalogue: &'c Catalogue,
    derived: &Derived,
    flows: &Flows<'c>,
) -> (Vec<&'c str>, usize) {
    let mut weight: HashMap<&str, (u64, usize)> = HashMap::new();
    for member in catalogue.members() {
        let connected = derived.by_member.get(&member.id).map_or(0, |rs| {
            rs.iter()
                .filter(|&&i| catalogue.registers()[i as usize].connected)
                .count()
        });
        if member.peer_url.is_some() || connected > 0 {
            weight.entry(member.id.as_str()).or_default().1 = connected;
        }
    }
    for ((requester, provider), (count, _)) in flows {
        weight.entry(requester).or_default().0 += count;
        weight.entry(provider).or_default().0 += count;
    }
    let mut members: Vec<(&str, (u64, usize))> = weight.into_iter().collect();
    members.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let members_not_drawn = members.len().saturating_sub(MAX_MEMBERS);
    members.truncate(MAX_MEMBERS);
    members.sort_by(|a, b| a.0.cmp(b.0));
    (
        members.into_iter().map(|(id, _)| id).collect(),
        members_not_drawn,
    )
}

/// The nodes and edges of the graph as they are added, not yet laid out.
#[derive(Default)]
struct Drawing<'c> {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    /// Member id → index of its node.
    position: HashMap<&'c str, usize>,
}

impl<'c> Drawing<'c> {
    /// Adds the node of a member, sized by the registers it keeps.
    fn member(&mut self, catalogue: &Catalogue, derived: &Derived, id: &'c str) {
        let member = catalogue.member(id);
        let name = member.map_or_else(|| id.to_owned(), |m| m.name.clone());
        let registers = derived.by_member.get(id).map_or(0, Vec::len);
        self.position.insert(id, self.nodes.len());
        self.nodes.push(Node {
            id: id.to_owned(),
            kind: NodeKind::Member,
            label: shorten(&name, 26),
            name,
            href: member_href(id),
            x: 0.0,
            y: 0.0,
            label_y: 0.0,
            r: 9.0 + (registers as f64).ln_1p().min(6.0) * 1.5,
            registers,
            connected: member.is_some_and(|m| m.peer_url.is_some()),
        });
    }

    /// Adds the connected registers of a member that is drawn, each kept by it: at most
    /// [`MAX_REGISTERS_PER_MEMBER`], the rest as one "+N" node.
    fn registers(&mut self, catalogue: &Catalogue, derived: &Derived, id: &str) {
        let owner = self.position[id];
        let connected: Vec<u32> = derived
            .by_member
            .get(id)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| catalogue.registers()[i as usize].connected)
            .collect();
        for &i in connected.iter().take(MAX_REGISTERS_PER_MEMBER) {
            let register = &catalogue.registers()[i as usize];
            self.edges
                .push(keeps(owner, id, self.nodes.len(), &register.id));
            self.nodes.push(Node {
                id: register.id.clone(),
                kind: NodeKind::Register,
                label: shorten(&register.name, 22),
                name: register.name.clone(),
                href: register_href(&register.id),
                x: 0.0,
                y: 0.0,
                label_y: 0.0,
                r: 5.0,
                registers: 1,
                connected: true,
            });
        }
        if connected.len() > MAX_REGISTERS_PER_MEMBER {
            let more = connected.len() - MAX_REGISTERS_PER_MEMBER;
            let more_id = format!("{id}#more");
            self.edges
                .push(keeps(owner, id, self.nodes.len(), &more_id));
            self.nodes.push(Node {
                id: more_id,
                kind: NodeKind::More,
                name: format!("{more} weitere angeschlossene Register"),
                label: format!("+{more}"),
                href: member_href(id),
                x: 0.0,
                y: 0.0,
                label_y: 0.0,
                r: 7.0,
                registers: more,
                connected: true,
            });
        }
    }

    /// Adds an edge for each flow between two members that are drawn; returns the evidence
    /// types and the sum of the exchanges of those flows.
    fn flows(&mut self, flows: &Flows<'_>) -> (BTreeSet<String>, u64) {
        let mut evidence_types = BTreeSet::new();
        let mut exchanges = 0;
        for ((requester, provider), (count, types)) in flows {
            let (Some(&source), Some(&target)) =
                (self.position.get(requester), self.position.get(provider))
            else {
                continue;
            };
            exchanges += count;
            evidence_types.extend(types.iter().map(|t| (*t).to_owned()));
            self.edges.push(Edge {
                source,
                target,
                from: (*requester).to_owned(),
                to: (*provider).to_owned(),
                kind: EdgeKind::Flow,
                count: *count,
                evidence_types: types.iter().map(|t| (*t).to_owned()).collect(),
                path: String::new(),
                label_x: 0.0,
                label_y: 0.0,
                width: 1.5 + (*count as f64).ln_1p().min(8.0) * 0.6,
            });
        }
        (evidence_types, exchanges)
    }
}

/// The band of register types with registers that are not connected, below the graph from
/// `band_top`: most registers first, [`BAND_COLUMNS`] to a row.
fn band(catalogue: &Catalogue, derived: &Derived, band_top: f64) -> Vec<Aggregate> {
    let mut aggregates: Vec<Aggregate> = catalogue
        .types()
        .iter()
        .filter_map(|t| {
            let index = derived.by_type.get(&t.code)?;
            let waiting = index.registers.len() - index.connected;
            (waiting > 0).then_some((t, waiting))
        })
        .map(|(t, waiting)| Aggregate {
            code: t.code.clone(),
            label: shorten(&t.name_de, 16),
            name: t.name_de.clone(),
            href: type_href(&t.code),
            registers: waiting,
            registers_text: format::count(waiting),
            x: 0.0,
            y: 0.0,
            r: 4.0 + (waiting as f64).ln_1p() * 2.6,
            label_y: 0.0,
            count_y: 0.0,
        })
        .collect();
    aggregates.sort_by(|a, b| {
        b.registers
            .cmp(&a.registers)
            .then_with(|| a.name.cmp(&b.name))
    });
    let cell = WIDTH / BAND_COLUMNS as f64;
    for (i, aggregate) in aggregates.iter_mut().enumerate() {
        aggregate.x = cell * ((i % BAND_COLUMNS) as f64 + 0.5);
        aggregate.y = band_top + 60.0 + BAND_ROW * (i / BAND_COLUMNS) as f64;
        aggregate.label_y = round(aggregate.y + aggregate.r + 11.0);
        aggregate.count_y = round(aggregate.y + aggregate.r + 22.0);
    }
    aggregates
}

/// A "keeps" edge from a member to one of its registers (or its "+N" node).
fn keeps(source: usize, from: &str, target: usize, to: &str) -> Edge {
    Edge {
        source,
        target,
        from: from.to_owned(),
        to: to.to_owned(),
        kind: EdgeKind::Keeps,
        count: 0,
        evidence_types: Vec::new(),
        path: String::new(),
        label_x: 0.0,
        label_y: 0.0,
        width: 1.0,
    }
}

/// At most `max` characters, with an ellipsis where cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Force-directed layout (Fruchterman–Reingold), deterministic: the same catalogue gives the
/// same picture. Returns the height used; nodes end up inside `0..WIDTH × 0..height`.
fn layout(nodes: &mut [Node], edges: &[Edge]) -> f64 {
    let n = nodes.len();
    if n == 0 {
        return 80.0;
    }
    let height = (260.0 + 70.0 * (n as f64).sqrt()).min(1400.0);
    let area = WIDTH * height;
    let k = (area / n as f64).sqrt() * 0.75;
    let (cx, cy) = (WIDTH / 2.0, height / 2.0);
    // Start: members on a spiral, registers next to their member.
    let mut owner: Vec<Option<usize>> = vec![None; n];
    for e in edges.iter().filter(|e| e.kind == EdgeKind::Keeps) {
        owner[e.target] = Some(e.source);
    }
    let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    for i in 0..n {
        let angle = i as f64 * golden;
        let radius = 20.0 + 8.0 * (i as f64).sqrt() * 4.0;
        let (x, y) = match owner[i] {
            Some(o) => (
                nodes[o].x + 30.0 * angle.cos(),
                nodes[o].y + 30.0 * angle.sin(),
            ),
            None => (cx + radius * angle.cos(), cy + radius * angle.sin()),
        };
        nodes[i].x = x;
        nodes[i].y = y;
    }
    let iterations = if n > 400 { 120 } else { 300 };
    let mut temperature = WIDTH / 8.0;
    let cooling = temperature / f64::from(iterations + 1);
    let mut shift = vec![(0.0f64, 0.0f64); n];
    for _ in 0..iterations {
        shift.iter_mut().for_each(|s| *s = (0.0, 0.0));
        for i in 0..n {
            for j in (i + 1)..n {
                let (dx, dy) = (nodes[i].x - nodes[j].x, nodes[i].y - nodes[j].y);
                let d = (dx * dx + dy * dy).sqrt().max(0.01);
                let force = k * k / d;
                let (fx, fy) = (dx / d * force, dy / d * force);
                shift[i].0 += fx;
                shift[i].1 += fy;
                shift[j].0 -= fx;
                shift[j].1 -= fy;
            }
        }
        for e in edges {
            let (s, t) = (e.source, e.target);
            let (dx, dy) = (nodes[s].x - nodes[t].x, nodes[s].y - nodes[t].y);
            let d = (dx * dx + dy * dy).sqrt().max(0.01);
            // Registers stay close to their member; flows pull members together more gently.
            let strength = if e.kind == EdgeKind::Keeps { 2.5 } else { 1.0 };
            let force = d * d / k * strength;
            let (fx, fy) = (dx / d * force, dy / d * force);
            shift[s].0 -= fx;
            shift[s].1 -= fy;
            shift[t].0 += fx;
            shift[t].1 += fy;
        }
        for (node, (sx, sy)) in nodes.iter_mut().zip(&shift) {
            // A little gravity keeps separate groups in the picture.
            let (gx, gy) = (
                (cx - node.x) * 0.02 * k / 10.0,
                (cy - node.y) * 0.02 * k / 10.0,
            );
            let (sx, sy) = (sx + gx, sy + gy);
            let d = (sx * sx + sy * sy).sqrt().max(0.01);
            let step = d.min(temperature);
            node.x += sx / d * step;
            node.y += sy / d * step;
        }
        temperature = (temperature - cooling).max(1.0);
    }
    // Fit into the box, leaving room for labels.
    let (min_x, max_x) = bounds(nodes.iter().map(|n| n.x));
    let (min_y, max_y) = bounds(nodes.iter().map(|n| n.y));
    let (margin_x, margin_y) = (110.0, 40.0);
    let scale_x = (WIDTH - 2.0 * margin_x) / (max_x - min_x).max(1.0);
    let scale_y = (height - 2.0 * margin_y) / (max_y - min_y).max(1.0);
    let scale = scale_x.min(scale_y);
    let used_w = (max_x - min_x) * scale;
    let used_h = (max_y - min_y) * scale;
    let (off_x, off_y) = (
        (WIDTH - used_w) / 2.0,
        margin_y + (height - 2.0 * margin_y - used_h) / 2.0,
    );
    for node in nodes.iter_mut() {
        node.x = round(off_x + (node.x - min_x) * scale);
        node.y = round(off_y + (node.y - min_y) * scale);
    }
    height
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The SVG path of each edge, from rim to rim; flows curve so that both directions between two
/// members stay apart.
fn route(nodes: &[Node], edges: &mut [Edge]) {
    for e in edges.iter_mut() {
        let (s, t) = (&nodes[e.source], &nodes[e.target]);
        let (dx, dy) = (t.x - s.x, t.y - s.y);
        let d = (dx * dx + dy * dy).sqrt().max(0.01);
        let (ux, uy) = (dx / d, dy / d);
        // Evidence flows from the provider (target) to the requester (source): the arrowhead is
        // at the source end and needs room there.
        let gap = if e.kind == EdgeKind::Flow { 5.0 } else { 1.0 };
        let (x1, y1) = (s.x + ux * (s.r + gap), s.y + uy * (s.r + gap));
        let (x2, y2) = (t.x - ux * (t.r + 1.0), t.y - uy * (t.r + 1.0));
        if e.kind == EdgeKind::Keeps {
            e.path = format!("M{:.1} {:.1}L{:.1} {:.1}", x1, y1, x2, y2);
            continue;
        }
        // Bend to the left of the direction of travel.
        let bend = (d * 0.15).min(40.0);
        let (mx, my) = ((x1 + x2) / 2.0 - uy * bend, (y1 + y2) / 2.0 + ux * bend);
        e.path = format!(
            "M{:.1} {:.1}Q{:.1} {:.1} {:.1} {:.1}",
            x1, y1, mx, my, x2, y2
        );
        // The curve's midpoint is halfway between the chord's midpoint and the control point.
        e.label_x = round(((x1 + x2) / 2.0 + mx) / 2.0);
        e.label_y = round(((y1 + y2) / 2.0 + my) / 2.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Snapshot;
    use crate::model::{Flow, Member, Register, RegisterType, Source};
    use once_xml::level::Level;

    fn member(id: &str, node: bool) -> Member {
        Member {
            id: id.into(),
            name: format!("Behörde {id}"),
            contact: None,
            peer_url: node.then(|| "https://peer".into()),
            tls_fingerprint: None,
            published_at: None,
        }
    }

    fn register(member: &str, n: usize, connected: bool) -> Register {
        Register {
            id: format!("{member}/r{n}"),
            member: member.into(),
            local_id: format!("r{n}"),
            register_type: Some("melderegister".into()),
            name: format!("Melderegister {n}"),
            level: Level::Municipality,
            jurisdictions: vec!["04011000".into()],
            evidence_types: vec![],
            legal_basis: String::new(),
            standards: vec![],
            record_count: None,
            connected,
            source: Source::Seed,
        }
    }

    fn kind() -> RegisterType {
        RegisterType {
            code: "melderegister".into(),
            name_de: "Melderegister".into(),
            name_en: "Population register".into(),
            description: String::new(),
            operator_kind: "Meldebehörde".into(),
            level: Level::Municipality,
            instancing: crate::model::Instancing::PerMunicipality,
            legal_basis: String::new(),
            evidence_types: vec![],
            standards: vec![],
            category: "Personen".into(),
        }
    }

    #[test]
    fn draws_what_is_connected_and_sums_up_the_rest() {
        let mut registers: Vec<Register> = (0..10).map(|n| register("A", n, true)).collect();
        registers.extend((0..500).map(|n| register(&format!("S{n}"), n, false)));
        let mut members = vec![member("A", true), member("B", true)];
        members.extend((0..500).map(|n| member(&format!("S{n}"), false)));
        let catalogue = Catalogue::build(Snapshot {
            types: vec![kind()],
            members,
            registers,
            flows: vec![
                Flow {
                    requester: "B".into(),
                    provider: "A".into(),
                    evidence_type: "urn:e".into(),
                    day: "2026-01-01".into(),
                    count: 7,
                },
                Flow {
                    requester: "B".into(),
                    provider: "A".into(),
                    evidence_type: "urn:e".into(),
                    day: "2026-01-02".into(),
                    count: 5,
                },
            ],
            ..Snapshot::default()
        });
        let derived = Derived::build(&catalogue);
        let graph = Graph::build(&catalogue, &derived);
        assert_eq!(graph.count(NodeKind::Member), 2);
        assert_eq!(graph.count(NodeKind::Register), MAX_REGISTERS_PER_MEMBER);
        assert_eq!(graph.count(NodeKind::More), 1);
        assert_eq!(graph.flows(), 1);
        let flow = graph
            .edges
            .iter()
            .find(|e| e.kind == EdgeKind::Flow)
            .expect("flow");
        assert_eq!(flow.count, 12);
        assert_eq!(graph.nodes[flow.source].id, "B");
        assert_eq!(graph.aggregates.len(), 1);
        assert_eq!(graph.aggregates[0].registers, 500);
        for node in &graph.nodes {
            assert!(node.x >= 0.0 && node.x <= graph.width, "{node:?}");
            assert!(node.y >= 0.0 && node.y <= graph.band_top, "{node:?}");
        }
        // Deterministic.
        let again = Graph::build(&catalogue, &derived);
        assert_eq!(again.nodes[3].x, graph.nodes[3].x);
    }
}
