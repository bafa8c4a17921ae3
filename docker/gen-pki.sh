#!/bin/sh
# Generates the PKI and the configuration of the compose federation (docker/compose.yaml): the
# federation CA and its CRL, and for the register map and the three members of the scenario their
# TLS and signing certificates and keys and their map.toml / node.toml, with PostgreSQL databases
# in the compose service `postgres`.
#
#   gen-pki.sh OUTDIR [CADIR]               everything, once; CADIR defaults to OUTDIR/ca
#   gen-pki.sh --renew-crl OUTDIR [CADIR]   a fresh CRL from the CA, copied to OUTDIR/crl.pem
#
# OUTDIR (the volume the services mount read-only at /etc/once) receives:
#   ca.pem, crl.pem              the federation root and the CRL every node and the map load
#   map/                         the register map DE:BUND:registerlandkarte: map.toml, keys
#   elterngeld/                  DE-HB:LAND:elterngeld, Elterngeld office (requester)
#   bremen/                      DE-HB:KOMMUNE:04011000, Bremen's population register (provider)
#   pension/                     DE:BUND:drv, the pension insurance's income register (provider)
# Each member directory holds node.toml, tls.pem/tls.key, signing.pem/signing.key (keys mode
# 0600), ca.pem and setup.sh, the registers, records and access rules (or API key) the scenario
# needs: they live in the database, so setup.sh runs once the node's database is up.
# CADIR holds the CA's key; keep it apart from what the nodes mount.
#
# Idempotent: if the CA exists already, nothing is changed. Needs `once` on PATH.
#
# Environment: POSTGRES_HOST (postgres:5432), POSTGRES_USER (once), POSTGRES_PASSWORD (once),
# ONCE_FEDERATION_NAME ("once compose federation").
set -eu

say() { printf 'gen-pki: %s\n' "$*"; }
die() {
    printf 'gen-pki: %s\n' "$*" >&2
    exit 1
}
usage() {
    printf 'usage: gen-pki.sh OUTDIR [CADIR]\n       gen-pki.sh --renew-crl OUTDIR [CADIR]\n' >&2
    exit 64
}

renew_crl=false
if [ "${1:-}" = "--renew-crl" ]; then
    renew_crl=true
    shift
fi
if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
    usage
fi
out=$1
ca=${2:-$out/ca}
command -v once >/dev/null 2>&1 || die "the once binary is not on PATH"

if "$renew_crl"; then
    [ -f "$ca/ca.pem" ] || die "no federation CA in $ca"
    once pki crl --dir "$ca"
    # Replace the file in one step: the nodes watch it and must never read half of it.
    cp "$ca/crl.pem" "$out/.crl.pem.new"
    mv -f "$out/.crl.pem.new" "$out/crl.pem"
    say "copied the new CRL to $out/crl.pem; the nodes and the map load it within 10 s"
    exit 0
fi

if [ -f "$ca/ca.pem" ]; then
    say "the federation CA exists already in $ca; nothing changed (remove the volumes to start afresh)"
    exit 0
fi

db_host=${POSTGRES_HOST:-postgres:5432}
db_user=${POSTGRES_USER:-once}
db_password=${POSTGRES_PASSWORD:-once}
federation=${ONCE_FEDERATION_NAME:-once compose federation}
# The password goes into URLs as it is.
case $db_user$db_password in
    *[!A-Za-z0-9._~-]*) die "POSTGRES_USER and POSTGRES_PASSWORD may hold only letters, digits and . _ ~ - (they go into database URLs)" ;;
esac

# The scenario: service (directory and DNS name), member id, name, contact.
MAP_MEMBER=DE:BUND:registerlandkarte
REQUESTER=DE-HB:LAND:elterngeld
POPULATION=DE-HB:KOMMUNE:04011000
PENSION=DE:BUND:drv
RESIDENCE=urn:once:evidence-type:residence-certificate
INCOME=urn:once:evidence-type:income-certificate
PROCEDURE=Elterngeld
LEGAL_BASIS="§ 9 BEEG"

for entry in ca.pem crl.pem map elterngeld bremen pension; do
    if [ -e "$out/$entry" ]; then
        die "$out/$entry exists but the CA in $ca does not: an earlier run stopped half-way; empty $out and run again"
    fi
done
if [ -d "$ca" ] && [ -n "$(ls -A "$ca")" ]; then
    die "$ca is not empty but holds no ca.pem; empty it and run again"
fi

mkdir -p "$out"
# Everything is made in a staging directory and moved into place at the end, the CA's ca.pem
# last: a run that stops half-way leaves nothing that looks finished.
staging="$out/.gen-pki.$$"
trap 'rm -rf "$staging"' EXIT
trap 'exit 130' INT TERM
mkdir -m 0700 "$staging"

once pki init --dir "$staging/ca" --name "$federation" >/dev/null
say "created the root CA of \"$federation\""
cp "$staging/ca/ca.pem" "$staging/ca.pem"
cp "$staging/ca/crl.pem" "$staging/crl.pem"

# issue SERVICE MEMBER: TLS certificate for the DNS names SERVICE and localhost, signing
# certificate, keys, ca.pem.
issue() {
    once pki issue --dir "$staging/ca" --member "$2" --host "$1" --host localhost \
        --out "$staging/$1" >/dev/null
    # Every node loads the one CRL at OUTDIR/crl.pem, so a renewal reaches all of them.
    rm -f "$staging/$1/crl.pem"
    say "issued the TLS and signing certificates of $2 (DNS names $1, localhost)"
}

# identity_sections: the TLS, signing and server sections every configuration shares.
identity_sections() {
    cat <<EOF
[tls]
ca = "ca.pem"
# The federation's CRL, shared by every node and the map; gen-pki.sh --renew-crl replaces it.
crl = "../crl.pem"
cert = "tls.pem"
key = "tls.key"
crl_reload_seconds = 10
crl_expired = "refuse"

[signing]
cert = "signing.pem"
key = "signing.key"

[server]
workers = 2
shutdown_grace_seconds = 10
EOF
}

issue map "$MAP_MEMBER"
cat >"$staging/map/map.toml" <<EOF
# Configuration of the register map $MAP_MEMBER in the compose federation, written by
# docker/gen-pki.sh. Relative paths are relative to this file; every field can be overridden
# by an environment variable ONCE_MAP_<FIELD>, __ between levels.

member_id = "$MAP_MEMBER"
database_url = "postgres://$db_user:$db_password@$db_host/once_map"
stale_after_seconds = 172800

[api]
# Nodes publish and discover here, with mutual TLS (https://map:9443 in the compose network).
listen = "0.0.0.0:9443"

[web]
# The web page for analysts; compose.yaml publishes it on the host's 127.0.0.1:9080.
listen = "0.0.0.0:9080"
tls = false

EOF
identity_sections >>"$staging/map/map.toml"
cat >>"$staging/map/map.toml" <<EOF
pool_size = 8
pool_timeout_ms = 3000
EOF

# node_toml SERVICE MEMBER NAME CONTACT: the common part of a member's node.toml.
node_toml() {
    cat >"$staging/$1/node.toml" <<EOF
# Configuration of the once node of $2 in the compose federation, written by
# docker/gen-pki.sh. Relative paths are relative to this file; every field can be overridden
# by an environment variable ONCE_<FIELD>, __ between levels (ONCE_DATABASE_URL=…).

member_id = "$2"
name = "$3"
contact = "$4"
# Its own database in the compose service postgres.
database_url = "postgres://$db_user:$db_password@$db_host/once_$1"

[peer]
# Other nodes connect here with mutual TLS (https://$1:8443 in the compose network).
listen = "0.0.0.0:8443"

[application]
# The authority's own services, with an API key (setup.sh or once node api-key create). Every
# address of the container, so compose can publish it on the host's loopback.
listen = "0.0.0.0:8080"
auth = "api_key"
tls = false

EOF
    identity_sections >>"$staging/$1/node.toml"
    cat >>"$staging/$1/node.toml" <<EOF

[map]
url = "https://map:9443"
member = "$MAP_MEMBER"
peer_url = "https://$1:8443"
EOF
}

# preview SERVICE HOST_PORT: the preview page of a provider, published on the host's HOST_PORT.
preview() {
    cat >>"$staging/$1/node.toml" <<EOF

[preview]
# The page where people see their evidence before it is sent; compose.yaml publishes it on the
# host's 127.0.0.1:$2.
listen = "0.0.0.0:8444"
public_url = "https://localhost:$2"
# There is no gateway that sends the one-time codes to people yet: they go to a simulated
# mailbox (GET /v1/preview-mailbox on the application endpoint). Demonstration only.
simulated_mailbox = true
EOF
}

issue elterngeld "$REQUESTER"
node_toml elterngeld "$REQUESTER" "Elterngeldstelle Bremen" "elterngeld@demo.once.invalid"
cat >>"$staging/elterngeld/node.toml" <<EOF

# Where to ask when the register map does not answer.
[[providers]]
member = "$POPULATION"
name = "Stadt Bremen, Bürgeramt"
url = "https://bremen:8443"
evidence_types = ["$RESIDENCE"]
jurisdictions = ["04011000"]

[[providers]]
member = "$PENSION"
name = "Deutsche Rentenversicherung Bund"
url = "https://pension:8443"
evidence_types = ["$INCOME"]
EOF
cat >"$staging/elterngeld/setup.sh" <<EOF
#!/bin/sh
# The Elterngeld office asks, it keeps no register: an API key for its application service.
# Run once its database is up: docker compose exec elterngeld sh /etc/once/elterngeld/setup.sh
set -eu
config="\$(dirname "\$0")/node.toml"
once node api-key create --config "\$config" --name antrag-online
EOF

issue bremen "$POPULATION"
node_toml bremen "$POPULATION" "Stadt Bremen, Bürgeramt" "buergeramt@demo.once.invalid"
preview bremen 8444
cat >"$staging/bremen/residents.csv" <<'EOF'
tax_id,family_name,given_name,date_of_birth,street,house_number,postcode,municipality,ags,moved_in
65929970489,Müller,Jürgen,1985-03-07,Am Markt,1,28195,Bremen,04011000,2010-01-01
47281630457,Schulz,Aylin,1991-11-23,Obernstraße,12a,28195,Bremen,04011000,2018-05-15
EOF
cat >"$staging/bremen/setup.sh" <<EOF
#!/bin/sh
# The population register of Bremen, two residents, the access rule for the Elterngeld office and
# an API key.
# Run once its database is up: docker compose exec bremen sh /etc/once/bremen/setup.sh
set -eu
dir="\$(dirname "\$0")"
once register add --config "\$dir/node.toml" --id melderegister --name "Melderegister Bremen" \\
    --evidence-type $RESIDENCE --level municipality --jurisdiction 04011000 \\
    --legal-basis "Bundesmeldegesetz (BMG)" --register-type melderegister --standard XMeld
once register import --config "\$dir/node.toml" --register melderegister "\$dir/residents.csv"
once rules add --config "\$dir/node.toml" --requester $REQUESTER \\
    --evidence-type $RESIDENCE --procedure $PROCEDURE --legal-basis "$LEGAL_BASIS"
# For the operator: the transfer record and the simulated preview mailbox.
once node api-key create --config "\$dir/node.toml" --name operator
EOF

issue pension "$PENSION"
node_toml pension "$PENSION" "Deutsche Rentenversicherung Bund" "https://demo.once.invalid/drv"
preview pension 8445
cat >"$staging/pension/incomes.csv" <<'EOF'
tax_id,family_name,given_name,date_of_birth,tax_year,gross_income,income_kind,payer
65929970489,Müller,Jürgen,1985-03-07,2024,48250.00,employment,Bremer Lagerhaus GmbH
47281630457,Schulz,Aylin,1991-11-23,2024,39900.00,employment,Stadtwerke Bremen
EOF
cat >"$staging/pension/setup.sh" <<EOF
#!/bin/sh
# The pension insurance's register of insured persons' incomes (federal: it covers the whole
# country), two accounts, the access rule for the Elterngeld office and an API key.
# Run once its database is up: docker compose exec pension sh /etc/once/pension/setup.sh
set -eu
dir="\$(dirname "\$0")"
once register add --config "\$dir/node.toml" --id rentenversicherungskonto \\
    --name "Versicherungskonten der gesetzlichen Rentenversicherung" \\
    --evidence-type $INCOME --level federal \\
    --legal-basis "Sozialgesetzbuch Sechstes Buch (SGB VI) § 149" \\
    --register-type rentenversicherungskonto
once register import --config "\$dir/node.toml" --register rentenversicherungskonto "\$dir/incomes.csv"
once rules add --config "\$dir/node.toml" --requester $REQUESTER \\
    --evidence-type $INCOME --procedure $PROCEDURE --legal-basis "$LEGAL_BASIS"
# For the operator: the transfer record and the simulated preview mailbox.
once node api-key create --config "\$dir/node.toml" --name operator
EOF

chmod 0644 "$staging"/*/node.toml "$staging"/*/setup.sh "$staging"/*/*.csv "$staging/map/map.toml"

# Into place: the members and the shared files, then the CA with its ca.pem last.
for entry in ca.pem crl.pem map elterngeld bremen pension; do
    mv "$staging/$entry" "$out/$entry"
done
mkdir -p "$ca"
chmod 0700 "$ca"
for file in "$staging"/ca/*; do
    [ "$(basename "$file")" = ca.pem ] || mv "$file" "$ca/"
done
mv "$staging/ca/ca.pem" "$ca/ca.pem"

say "the federation CA is in $ca (ca.key: keep it away from the nodes)"
say "wrote $out: ca.pem, crl.pem, map/, elterngeld/, bremen/, pension/ (node.toml, keys, setup.sh)"
say "the CRL is valid for 7 days; renew it with: gen-pki.sh --renew-crl $out $ca"
