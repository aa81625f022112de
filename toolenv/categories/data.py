"""Data: a dataset registry, data-quality checks and exports."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Data",
    description="Open datasets, their quality checks and export jobs.",
    tables=(
        TableSpec(
            name="datasets", entity="dataset", prefix="DST", rows=40, names="{adj} {noun} {kind}",
            vocab={"kind": ("Dataset", "Corpus", "Panel", "Census", "Index", "Survey")},
            fields=(
                F.enum("domain", "domain", "Climate, Finance, Health, Transport, Retail, Education",
                       phrase="in the {} domain"),
                F.int("row_count", "row count", 1000, 90000000),
                F.float("size_mb", "size in MB", 0.5, 80000, 1),
                F.enum("license", "license", "CC-BY, CC0, MIT, Proprietary", phrase="under the {} license"),
                F.date("updated", "last update date", "2020-01-01", "2025-05-31"),
            ),
        ),
        TableSpec(
            name="quality_checks", entity="quality check", prefix="QCK", rows=140,
            fields=(
                F.ref("dataset_id", "dataset", "datasets", phrase="for {}"),
                F.enum("check_type", "check type", "Completeness, Uniqueness, Validity, Freshness",
                       phrase="of type {}"),
                F.float("score", "quality score", 0, 100, 1),
                F.date("run_date", "run date", "2025-01-01", "2025-05-31"),
            ),
        ),
        TableSpec(
            name="exports", entity="export", prefix="EXP", rows=24,
            fields=(
                F.ref("dataset_id", "dataset", "datasets"),
                F.enum("file_format", "file format", "CSV, Parquet, JSON"),
                F.enum("status", "status", "queued, done, cancelled"),
            ),
        ),
    ),
    tools=(
        tool(
            "dataset_registry", "Catalog of datasets.",
            api("search_datasets", "Find datasets whose name contains the query.", Search("datasets")),
            api("get_dataset", "Domain, rows, size, license and update date of a dataset.", Get("datasets")),
            api("list_datasets_by_domain", "Datasets of a domain, most rows first.",
                ListBy("datasets", by="domain", order="row_count", superlative="largest")),
            api("get_license_stats", "Size statistics of all datasets under a license.",
                Aggregate("datasets", by="license", metric="size_mb")),
        ),
        tool(
            "data_quality", "Automated data-quality checks.",
            api("list_quality_checks", "A dataset's checks, lowest score first.",
                ListBy("quality_checks", by="dataset_id", order="score", descending=False,
                       superlative="lowest-scoring")),
            api("get_quality_check", "Dataset, type, score and run date of a check.", Get("quality_checks")),
            api("get_quality_summary", "Score statistics of a dataset's checks.",
                Aggregate("quality_checks", by="dataset_id", metric="score")),
        ),
        tool(
            "data_export", "Export datasets to files.",
            api("export_dataset", "Queue an export of a dataset in a file format.",
                Create("exports", via="dataset_id", sets=("file_format",), defaults={"status": "queued"},
                       phrase="export {target} as {file_format}")),
            api("get_export", "Status of an export job.", Get("exports")),
            api("cancel_export", "Cancel an export job.",
                Update("exports", field="status", value="cancelled", phrase="cancel {target}")),
        ),
    ),
)
