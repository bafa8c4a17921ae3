use std::process::Command;

use super::*;

fn c14n(xml: &str) -> String {
    String::from_utf8(document(xml, None).expect("canonicalise")).expect("UTF-8")
}

/// libxml2's exclusive C14N of a whole document (`xmllint --exc-c14n`), the referee. It keeps
/// comments, so the documents compared have none.
fn xmllint(xml: &str) -> String {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("doc.xml");
    std::fs::write(&file, xml).expect("write");
    let output = Command::new("xmllint")
        .arg("--nonet")
        .arg("--exc-c14n")
        .arg(&file)
        .output()
        .expect("xmllint is installed (Debian package libxml2-utils)");
    assert!(
        output.status.success(),
        "xmllint: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn matches_libxml2() {
    let documents = [
        // Namespaces: unused ones dropped, rendered where first used, not repeated,
        // re-bound prefixes rendered again, default namespace and xmlns="".
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<a:r xmlns:a=\"urn:a\" xmlns=\"urn:d\" xmlns:b=\"urn:b\" xmlns:unused=\"urn:u\">",
            "<e/><b:f xmlns:a=\"urn:a\"><a:g/><g xmlns=\"\"><h xmlns=\"urn:d\"/></g></b:f>",
            "<a:k xmlns:a=\"urn:other\"><a:l xmlns:a=\"urn:a\"/></a:k>",
            "<m xmlns=\"\"/></a:r>\n"
        ),
        // Attribute order: unqualified first, then by namespace URI (not prefix), then
        // local name; values normalised and escaped.
        concat!(
            "<r xmlns:z=\"urn:a\" xmlns:a=\"urn:b\" a:x=\"1\" z:y=\"2\" z:b=\"3\" c=\"4\" b=\"5\"",
            " xml:lang=\"de\" t=\"tab\there&#9;&#10;&#13;&#x20;end\r\nx\" q='&quot;\"&lt;&gt;&amp;&apos;'>",
            "<z:e z:a=\"&amp;\"/></r>"
        ),
        // Text: escaping, references, line endings, CDATA, mixed content, non-ASCII.
        concat!(
            "<r>a &lt; b &gt; c &amp; d &quot;&apos; &#x41;&#66;\r\nline\rnext&#13;&#10;",
            "<![CDATA[<&>\r\n]]> Müller-Lüdenscheidt ☃ 𝄞<i> x </i>\n</r>"
        ),
        // Processing instructions inside and outside, whitespace around the root.
        concat!(
            "<?xml version=\"1.0\"?>\n<?before  some\r\ndata ?>\n\n<r><?inside?><?in  x?></r>\n",
            "<?after?>\n"
        ),
        // A realistic ebRS fragment with prefixes declared at the root.
        concat!(
            "<query:QueryRequest xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0\"",
            " xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0\"",
            " xmlns:sdg=\"http://data.europa.eu/p4s\"",
            " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" id=\"x\">\n",
            "  <rim:Slot name=\"A\"><rim:SlotValue xsi:type=\"rim:AnyValueType\">",
            "<sdg:Agent><sdg:Name lang=\"de\">Stadt</sdg:Name></sdg:Agent>",
            "</rim:SlotValue></rim:Slot>\n  <query:Query/>\n</query:QueryRequest>"
        ),
    ];
    for doc in documents {
        assert_eq!(c14n(doc), xmllint(doc), "document:\n{doc}");
    }
}

#[test]
fn removes_comments_and_the_declaration() {
    assert_eq!(
        c14n("<?xml version=\"1.0\"?><!-- a --><r><!-- b -->x<!--c--></r><!-- d -->"),
        "<r>x</r>"
    );
}

#[test]
fn writes_empty_elements_as_start_and_end_tags() {
    assert_eq!(
        c14n("<r><e a='1' /><f/></r>"),
        "<r><e a=\"1\"></e><f></f></r>"
    );
}

#[test]
fn sorts_attributes_by_namespace_uri_then_local_name() {
    assert_eq!(
        c14n("<r xmlns:z='urn:1' xmlns:a='urn:2' a:b='1' z:c='2' z:a='3' d='4' c='5'/>"),
        "<r xmlns:a=\"urn:2\" xmlns:z=\"urn:1\" c=\"5\" d=\"4\" z:a=\"3\" z:c=\"2\" a:b=\"1\"></r>"
    );
}

#[test]
fn renders_only_visibly_utilised_namespaces_default_first() {
    assert_eq!(
        c14n("<r xmlns='urn:d' xmlns:b='urn:b' xmlns:a='urn:a' xmlns:n='urn:n' a:x='1' b:y='2'/>"),
        "<r xmlns=\"urn:d\" xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" a:x=\"1\" b:y=\"2\"></r>"
    );
    // Declared at the root but first used below: rendered there, once per output subtree.
    assert_eq!(
        c14n("<p:r xmlns:p='urn:p' xmlns:q='urn:q'><q:a><q:b/></q:a><q:c/></p:r>"),
        "<p:r xmlns:p=\"urn:p\"><q:a xmlns:q=\"urn:q\"><q:b></q:b></q:a><q:c xmlns:q=\"urn:q\"></q:c></p:r>"
    );
}

#[test]
fn renders_an_empty_default_namespace_only_to_undo_a_rendered_one() {
    assert_eq!(
        c14n("<r xmlns='urn:d'><a xmlns=''/></r>"),
        "<r xmlns=\"urn:d\"><a xmlns=\"\"></a></r>"
    );
    assert_eq!(
        c14n("<p:r xmlns:p='urn:p' xmlns='urn:d'><a xmlns=''/></p:r>"),
        "<p:r xmlns:p=\"urn:p\"><a></a></p:r>"
    );
    assert_eq!(c14n("<r xmlns=''><a/></r>"), "<r><a></a></r>");
}

#[test]
fn leaves_out_one_element() {
    let doc = "<r xmlns:ds='urn:ds'>a<x><ds:S><ds:I/>text</ds:S></x>b<ds:S/></r>";
    let at = doc.find("<ds:S>").expect("S");
    assert_eq!(
        String::from_utf8(document(doc, Some(at)).expect("c14n")).expect("utf8"),
        "<r>a<x></x>b<ds:S xmlns:ds=\"urn:ds\"></ds:S></r>"
    );
    let empty = doc.find("<ds:S/>").expect("empty S");
    assert_eq!(
        String::from_utf8(document(doc, Some(empty)).expect("c14n")).expect("utf8"),
        "<r>a<x><ds:S xmlns:ds=\"urn:ds\"><ds:I></ds:I>text</ds:S></x>b</r>"
    );
    assert_eq!(document(doc, Some(1)), Err(C14nError::NoElementAt(1)));
    assert!(matches!(
        document(doc, Some(0)),
        Err(C14nError::Syntax { .. })
    ));
}

#[test]
fn canonicalises_a_subtree_in_the_context_of_its_ancestors() {
    let doc = concat!(
        "<r xmlns='urn:d' xmlns:ds='urn:ds' xmlns:u='urn:unused' xml:lang='de'>",
        "<ds:Signature><ds:SignedInfo Id='i'>\n  <ds:M A='1'/>\n  <v/>\n</ds:SignedInfo>",
        "</ds:Signature></r>"
    );
    let at = doc.find("<ds:SignedInfo").expect("SignedInfo");
    assert_eq!(
        String::from_utf8(element(doc, at).expect("c14n")).expect("utf8"),
        concat!(
            "<ds:SignedInfo xmlns:ds=\"urn:ds\" Id=\"i\">\n  <ds:M A=\"1\"></ds:M>\n",
            "  <v xmlns=\"urn:d\"></v>\n</ds:SignedInfo>"
        )
    );
    assert_eq!(element(doc, 3), Err(C14nError::NoElementAt(3)));
}

#[test]
fn refuses_what_it_cannot_canonicalise_faithfully() {
    let cases: &[(&str, &str)] = &[
        ("<!DOCTYPE r [<!ENTITY e 'x'>]><r>&e;</r>", "DOCTYPE"),
        ("<r>&e;</r>", "&e;"),
        ("<r a='&e;'/>", "&e;"),
        ("<r>&#0;</r>", "&#0;"),
        ("<r>&#xD800;</r>", "&#xD800;"),
        ("<r>\u{1}</r>", "U+0001"),
        ("<p:r/>", "prefix p is not declared"),
        ("<r p:a='1'/>", "prefix p is not declared"),
        ("<r xmlns:p=''/>", "empty namespace name"),
        (
            "<r xmlns:a='urn:x' xmlns:b='urn:x' a:x='1' b:x='2'/>",
            "same namespace",
        ),
        ("<r/><s/>", "second document element"),
        ("x<r/>", "text outside"),
        ("<r><s></r>", "not well-formed"),
        ("<r>", "ends inside"),
        ("", "no document element"),
    ];
    for (doc, expected) in cases {
        let err = document(doc, None).expect_err(doc).to_string();
        assert!(err.contains(expected), "{doc}: {err}");
    }
}
