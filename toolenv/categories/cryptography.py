"""Cryptography: coin markets, exchanges and a key vault."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Cryptography",
    description="Cryptocurrency markets, exchanges, signing keys and hashing jobs.",
    tables=(
        TableSpec(
            name="coins", entity="coin", prefix="COI", rows=40, names="{head}{tail}",
            name_label="coin name",
            vocab={
                "head": ("Bit", "Eth", "Nova", "Luma", "Quanta", "Zen", "Astra", "Veri", "Hexa", "Orbi", "Terra",
                         "Flux", "Kryp", "Nexa"),
                "tail": ("coin", "chain", "cash", "token", "mint", "ledger", "net"),
            },
            fields=(
                F.code("symbol", "ticker symbol", "LLL"),
                F.enum("algorithm", "consensus algorithm", "SHA-256, Scrypt, Ethash, X11, Equihash",
                       phrase="using {}"),
                F.float("price", "price in USD", 0.01, 9000),
                F.float("market_cap", "market cap in billions of USD", 0.1, 900),
                F.int("supply", "circulating supply", 1000000, 900000000),
            ),
        ),
        TableSpec(
            name="exchanges", entity="exchange", prefix="XCH", rows=24, names="{noun}{venue}",
            vocab={"venue": ("X", "Trade", "Swap", "Bit", "Base", "Market")},
            fields=(
                F.text("country", "country", "{country}"),
                F.float("volume_24h", "24-hour volume in millions of USD", 1, 9000),
                F.float("fee_pct", "trading fee in percent", 0.01, 0.6),
                F.ref("top_coin_id", "most traded coin", "coins"),
            ),
        ),
        TableSpec(
            name="keys", entity="key", prefix="KEY", rows=40, names="{adj}-{noun}-key",
            name_field="label", name_label="key label",
            fields=(
                F.enum("key_type", "key type", "RSA, ECDSA, Ed25519", phrase="of type {}"),
                F.int("bits", "key size in bits", 256, 4096),
                F.date("created", "creation date", "2021-01-01", "2025-05-31"),
                F.enum("status", "status", "active, revoked"),
            ),
        ),
        TableSpec(
            name="signatures", entity="signature", prefix="SIG", rows=24,
            fields=(
                F.ref("key_id", "key", "keys"),
                F.enum("digest", "digest algorithm", "SHA-256, SHA-512, BLAKE2b"),
                F.enum("status", "status", "valid, revoked"),
            ),
        ),
        TableSpec(
            name="hash_jobs", entity="hashing job", prefix="HSH", rows=20,
            fields=(
                F.enum("hash_algorithm", "hash algorithm", "SHA-256, SHA3-512, BLAKE2b, Argon2"),
                F.int("rounds", "number of rounds", 1, 10),
                F.enum("status", "status", "queued, done"),
            ),
        ),
    ),
    tools=(
        tool(
            "coin_market", "Prices and market data of cryptocurrencies.",
            api("search_coins", "Find coins whose name contains the query.", Search("coins", extra=("symbol",))),
            api("get_coin_price", "Symbol, algorithm, price, market cap and supply of a coin.", Get("coins")),
            api("list_coins_by_algorithm", "Coins using an algorithm, largest market cap first.",
                ListBy("coins", by="algorithm", order="market_cap", superlative="largest")),
            api("get_algorithm_stats", "Price statistics of all coins using an algorithm.",
                Aggregate("coins", by="algorithm", metric="price")),
        ),
        tool(
            "exchange_directory", "Crypto exchanges and volumes.",
            api("search_exchanges", "Find exchanges whose name contains the query.", Search("exchanges")),
            api("get_exchange", "Country, 24h volume, fee and most traded coin of an exchange.",
                Get("exchanges")),
        ),
        tool(
            "key_vault", "Signing keys, signatures and hashing jobs.",
            api("search_keys", "Find keys whose label contains the query.", Search("keys", param="label")),
            api("get_key", "Type, size, creation date and status of a key.", Get("keys")),
            api("revoke_key", "Revoke a signing key.",
                Update("keys", field="status", value="revoked", phrase="revoke {target}")),
            api("sign_document", "Sign a document with a key and a digest algorithm.",
                Create("signatures", via="key_id", sets=("digest",), defaults={"status": "valid"},
                       phrase="sign a document with {target} using {digest}")),
            api("create_hash_job", "Queue a password-hashing job.",
                Create("hash_jobs", sets=("hash_algorithm", "rounds"), defaults={"status": "queued"},
                       phrase="queue a {hash_algorithm} hashing job with {rounds} rounds")),
        ),
    ),
)
