"""Jobs: employer reviews, a job board and applications."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Jobs",
    description="Employers, job postings, salaries and applications.",
    tables=(
        TableSpec(
            name="employers", entity="employer", prefix="EMP", rows=30, names="{adj} {noun} {suffix}",
            vocab={"suffix": ("Technologies", "Health", "Logistics", "Studios", "Energy", "Finance")},
            fields=(
                F.enum("industry", "industry", "Technology, Healthcare, Retail, Media, Energy, Finance",
                       phrase="in the {} industry"),
                F.text("city", "headquarters city", "{city}"),
                F.float("employee_rating", "employee rating", 1, 5, 1),
                F.int("headcount", "headcount", 10, 80000),
            ),
        ),
        TableSpec(
            name="jobs", entity="job", prefix="JOB", rows=60, names="{level} {role}",
            name_field="title", name_label="job title",
            vocab={
                "level": ("Junior", "Senior", "Lead", "Principal", "Staff", "Associate"),
                "role": ("Data Analyst", "Backend Engineer", "Product Designer", "Nurse", "Accountant",
                         "Marketing Manager", "Sales Representative", "Technician", "Copywriter",
                         "Logistics Coordinator", "Pharmacist", "Recruiter"),
            },
            fields=(
                F.ref("employer_id", "employer", "employers", phrase="at {}"),
                F.int("salary", "annual salary in USD", 28000, 240000),
                F.enum("arrangement", "work arrangement", "Remote, Hybrid, On-site", phrase="with {} work"),
                F.date("posted", "posting date", "2025-03-01", "2025-05-31"),
                F.int("applicants", "number of applicants", 0, 400),
            ),
        ),
        TableSpec(
            name="applications", entity="application", prefix="APP", rows=24,
            fields=(
                F.ref("job_id", "job", "jobs"),
                F.int("years_experience", "number of years of experience", 0, 30),
                F.enum("status", "status", "submitted, withdrawn"),
            ),
        ),
    ),
    tools=(
        tool(
            "employer_reviews", "Employer profiles and ratings.",
            api("search_employers", "Find employers whose name contains the query.", Search("employers")),
            api("get_employer", "Industry, city, rating and headcount of an employer.", Get("employers")),
            api("list_employers_by_industry", "Employers of an industry, best rated first.",
                ListBy("employers", by="industry", order="employee_rating", superlative="best-rated")),
        ),
        tool(
            "job_board", "Open positions and salaries.",
            api("search_jobs", "Find jobs whose title contains the query.", Search("jobs", param="title")),
            api("get_job", "Employer, salary, arrangement, date and applicants of a job.", Get("jobs")),
            api("list_jobs_by_employer", "An employer's jobs, best paid first.",
                ListBy("jobs", by="employer_id", order="salary", superlative="best-paid")),
            api("get_salary_stats", "Salary statistics of all jobs with a work arrangement.",
                Aggregate("jobs", by="arrangement", metric="salary")),
        ),
        tool(
            "applications", "Apply to jobs and track applications.",
            api("apply_to_job", "Apply to a job stating your years of experience.",
                Create("applications", via="job_id", sets=("years_experience",), defaults={"status": "submitted"},
                       phrase="apply to {target} with {years_experience} years of experience")),
            api("get_application", "Details of an application.", Get("applications")),
            api("withdraw_application", "Withdraw an application.",
                Update("applications", field="status", value="withdrawn", phrase="withdraw {target}")),
        ),
    ),
)
