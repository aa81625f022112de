"""Education: a course catalog, faculty, lesson plans and the registrar."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Education",
    description="University courses, instructors, lessons and enrollment.",
    tables=(
        TableSpec(
            name="instructors", entity="instructor", prefix="INS", rows=30, names="Prof. {first} {last}",
            fields=(
                F.enum("department", "department", "Mathematics, Sciences, Humanities, Business, Computing",
                       phrase="in the {} department"),
                F.float("rating", "teaching rating", 1, 5, 1),
                F.int("years_teaching", "number of years of teaching", 1, 40),
            ),
        ),
        TableSpec(
            name="courses", entity="course", prefix="CRS", rows=50, names="{level} {subject}",
            name_field="title", name_label="course title",
            vocab={
                "level": ("Introduction to", "Advanced", "Applied", "Foundations of", "Topics in", "Practical"),
                "subject": ("Algebra", "Statistics", "Organic Chemistry", "Microeconomics", "Ethics", "Linguistics",
                            "Machine Learning", "World History", "Genetics", "Marketing", "Poetry", "Astronomy"),
            },
            fields=(
                F.ref("instructor_id", "instructor", "instructors", phrase="taught by {}"),
                F.enum("department", "department", "Mathematics, Sciences, Humanities, Business, Computing",
                       phrase="in the {} department"),
                F.int("credits", "number of credit points", 1, 10),
                F.float("tuition", "tuition in USD", 200, 3000),
                F.int("seats_left", "number of open seats", 0, 60),
                F.date("start_date", "start date", "2025-09-01", "2026-02-28"),
            ),
        ),
        TableSpec(
            name="lessons", entity="lesson", prefix="LSN", rows=150,
            fields=(
                F.ref("course_id", "course", "courses", phrase="of the course {}"),
                F.int("week", "week number", 1, 14),
                F.int("duration_min", "duration in minutes", 30, 180),
                F.enum("format", "format", "Lecture, Lab, Seminar, Workshop", phrase="in {} format"),
            ),
        ),
        TableSpec(
            name="enrollments", entity="enrollment", prefix="ENR", rows=24,
            fields=(
                F.ref("course_id", "course", "courses"),
                F.enum("plan", "enrollment plan", "Credit, Audit"),
                F.float("tuition_paid", "tuition paid", 200, 3000),
                F.enum("status", "status", "active, dropped"),
            ),
        ),
    ),
    tools=(
        tool(
            "course_catalog", "Courses, credits, tuition and seats.",
            api("search_courses", "Find courses whose title contains the query.", Search("courses", param="title")),
            api("get_course", "Instructor, department, credits, tuition, seats and start of a course.",
                Get("courses")),
            api("list_courses_by_department", "Courses of a department, lowest tuition first.",
                ListBy("courses", by="department", order="tuition", descending=False,
                       superlative="most affordable")),
            api("get_department_tuition", "Tuition statistics of a department's courses.",
                Aggregate("courses", by="department", metric="tuition")),
        ),
        tool(
            "faculty", "Instructors and what they teach.",
            api("search_instructors", "Find instructors whose name contains the query.", Search("instructors")),
            api("get_instructor", "Department, rating and teaching years of an instructor.", Get("instructors")),
            api("list_instructor_courses", "An instructor's courses, earliest start first.",
                ListBy("courses", by="instructor_id", order="start_date", descending=False,
                       superlative="earliest-starting")),
        ),
        tool(
            "lesson_plans", "Weekly lesson plans of courses.",
            api("list_lessons", "A course's lessons, longest first.",
                ListBy("lessons", by="course_id", order="duration_min", superlative="longest")),
            api("get_lesson", "Course, week, duration and format of a lesson.", Get("lessons")),
            api("get_course_workload", "Lesson-duration statistics of a course.",
                Aggregate("lessons", by="course_id", metric="duration_min")),
        ),
        tool(
            "registrar", "Enroll in and drop courses.",
            api("enroll_in_course", "Enroll in a course on a plan; takes a seat and charges tuition.",
                Create("enrollments", via="course_id", sets=("plan",), cost=("tuition", "tuition_paid"),
                       decrement="seats_left", defaults={"status": "active"},
                       phrase="enroll me in {target} on the {plan} plan")),
            api("get_enrollment", "Details of an enrollment.", Get("enrollments")),
            api("drop_course", "Drop an enrollment.",
                Update("enrollments", field="status", value="dropped", phrase="drop {target}")),
        ),
    ),
)
