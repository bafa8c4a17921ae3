//! Namespace URIs of the exchange.

/// ebRIM 4.0 (`rim:`).
pub const RIM: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0";
/// ebRS 4.0 query protocol (`query:`).
pub const QUERY: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0";
/// ebRS 4.0 common protocol (`rs:`).
pub const RS: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:4.0";
/// The SDG generic metadata profile (`sdg:`).
pub const SDG: &str = "http://data.europa.eu/p4s";
/// XML Schema instance (`xsi:`).
pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// The XML namespace (`xml:`).
pub const XML: &str = "http://www.w3.org/XML/1998/namespace";
