import shutil

import pytest
from conftest import SHARED

from pipeline.checks import CHECKS, Scope
from pipeline.errors import SchemaFileError
from pipeline.schema import SCHEMA_DIR, load_schema


def test_both_templates_have_the_official_grid_sizes(schema):
    req = schema.tables["requests"]
    assert len(req.keys("2019")) == 161  # 23 rows x 7 columns (keys.md)
    assert len(req.keys("2021")) == 175  # 25 rows x 7 columns
    assert len(schema.tables["appeals"].keys("2019")) == 15
    pro = schema.tables["proactive"]
    assert ("procurement", "amount") in pro.keys("2019") and ("procurement", "amount") not in pro.keys("2021")
    assert ("rules", "in_force") in pro.keys("2021") and ("rules", "in_force") not in pro.keys("2019")


def test_every_key_of_keys_md_is_in_the_schema(schema):
    keys_md = (SHARED / "reference" / "keys.md").read_text()
    for spec in schema.tables.values():
        for row in spec.rows:
            if not row.unlabelled:
                assert f"-> {row.key}" in keys_md or f"-> `{row.key}`" in keys_md or row.key in keys_md, row.key


def test_rule_checks_and_registry_agree(schema):
    assert {r.check for r in schema.rules} <= set(CHECKS)
    assert {CHECKS[r.check].scope for r in schema.rules} == set(Scope)  # rules of every scope are declared
    for r in schema.rules:
        declared = CHECKS[r.check]
        assert set(declared.required) <= set(r.params) <= set(declared.params), r.name
    assert {r.name for r in schema.rules} >= {
        "requests-column-identity",
        "requests-outcome-sum",
        "requests-applicant-sum",
        "appeals-review-sum",
    }


def test_a_broken_schema_lists_every_problem_at_once(tmp_path):
    d = tmp_path / "schemas"
    shutil.copytree(SCHEMA_DIR, d)
    req = (d / "requests.yaml").read_text()
    req = req.replace(
        "key: granted, label: （一）予以公开, columns: *all", "key: new, label: （一）予以公开, columns: *all"
    )
    req = req.replace("group: （三）不予公开, columns: *all}", "group: （九）不存在, columns: *all}", 1)
    (d / "requests.yaml").write_text(req)
    rules = (d / "rules.yaml").read_text().replace("check: balance", "check: balanse")
    (d / "rules.yaml").write_text(rules.replace("total: review.total", "total: review.totl"))
    with pytest.raises(SchemaFileError) as e:
        load_schema(d)
    msg = str(e.value)
    assert "duplicate row key 'new'" in msg
    assert "（九）不存在" in msg
    assert "unknown check 'balanse'" in msg
    assert "review.totl" in msg
    # the renamed row also leaves a rule naming a row that no longer exists
    assert any("parts 'granted' names no key of table requests" in p for p in e.value.problems)
    assert len(e.value.problems) == 5


def test_missing_or_invalid_yaml_is_reported(tmp_path):
    d = tmp_path / "schemas"
    shutil.copytree(SCHEMA_DIR, d)
    (d / "appeals.yaml").unlink()
    (d / "proactive.yaml").write_text("version: 1\ntable: [unclosed\n")
    with pytest.raises(SchemaFileError) as e:
        load_schema(d)
    assert any("appeals.yaml: file missing" in p for p in e.value.problems)
    assert any("proactive.yaml: not valid YAML" in p for p in e.value.problems)


def test_labels_as_each_template_prints_them(schema):
    pro = schema.tables["proactive"]
    assert pro.row("normative_docs").label_in("2019") == "规范性文件"
    assert pro.row("normative_docs").label_in("2021") == "行政规范性文件"
    assert pro.columns["amount"].label_in("2019") == "采购总金额"
    assert pro.columns["amount"].label_in("2021") == "本年收费金额（单位：万元）"
    assert pro.columns["decisions"].label_in("2019") == "处理决定数量"


def test_templates_and_their_years_come_from_the_schema(schema):
    assert schema.templates.names == ("2019", "2021")
    assert [schema.templates.for_year(y) for y in (2017, 2019, 2020, 2021, 2025)] == [
        "2019",  # before any template: the oldest
        "2019",
        "2019",
        "2021",
        "2021",
    ]
    assert schema.templates.for_year(None) is None
    # every table knows the declared templates, and a row's templates follow their declared order
    assert all(spec.templates is schema.templates for spec in schema.tables.values())
    assert schema.tables["requests"].row("new").templates == ("2019", "2021")


def test_the_appeals_table_follows_the_report_template(schema):
    assert [k for k, spec in schema.tables.items() if spec.follows_report_template] == ["appeals"]


def test_the_new_schema_fields_are_validated_all_at_once(tmp_path):
    d = tmp_path / "schemas"
    shutil.copytree(SCHEMA_DIR, d)

    def edit(name, old, new, extra=""):
        text = (d / name).read_text(encoding="utf-8")
        assert old in text, (name, old)
        (d / name).write_text(text.replace(old, new, 1) + extra, encoding="utf-8")

    edit("templates.yaml", "first_year: 2021", "first_year: 2018")  # not after 2019's
    edit(
        "templates.yaml", "    issued_by: 国办公开办函〔2019〕", "    issud_by: x\n    issued_by: 国办公开办函〔2019〕"
    )
    edit("appeals.yaml", "follows_report_template: true", "follows_report_template: yes please", "titel: misspelt\n")
    edit("rules.yaml", "    lesser: published\n", "    lesser: published\n    lesserr: made\n")
    with pytest.raises(SchemaFileError) as e:
        load_schema(d)
    problems = e.value.problems
    assert any("'2021': first_year must come after 2019's (2019)" in p for p in problems)
    assert any("template '2019' has unknown fields ['issud_by']" in p for p in problems)
    assert any("appeals.yaml: follows_report_template must be true or false" in p for p in problems)
    assert any("appeals.yaml has unknown fields ['titel']" in p for p in problems)
    assert any("check less_equal takes no parameter 'lesserr'" in p for p in problems)
    assert len(problems) == 5, problems


def test_a_missing_templates_file_is_reported_with_what_it_leaves_unknown(tmp_path):
    d = tmp_path / "schemas"
    shutil.copytree(SCHEMA_DIR, d)
    (d / "templates.yaml").unlink()
    with pytest.raises(SchemaFileError) as e:
        load_schema(d)
    assert any("templates.yaml: file missing" in p for p in e.value.problems)
    assert any("unknown template '2019'" in p for p in e.value.problems)


def test_the_crosswalk_names_every_printed_cell_once(schema):
    keys = schema.panel.keys
    assert len({k.name for k in keys}) == len(keys)
    for tpl in schema.templates.names:
        for table, spec in schema.tables.items():
            for r, c in spec.keys(tpl):
                fed = [k for k in keys if k.table == table and (r, c) in k.sources.get(tpl, ())]
                assert sum(k.harmonised for k in fed) <= 1 and fed, (tpl, table, r, c)
    other = next(k for k in keys if k.name == "requests:other:total")
    assert other.harmonised and len(other.sources["2021"]) == 3 and other.sources["2019"] == (("other", "total"),)
    made = next(k for k in keys if k.name == "proactive:rules:made")
    assert not made.harmonised and made.templates == ("2019",) and made.note
    assert {r.name for r in schema.panel.rates} >= {
        "granted_share",
        "review_correction_rate",
        "dispute_conversion_rate",
    }
    assert "NA" in schema.panel.na_rule


def test_a_broken_crosswalk_or_rates_file_lists_every_problem_at_once(tmp_path):
    d = tmp_path / "schemas"
    shutil.copytree(SCHEMA_DIR, d)
    cw = (d / "crosswalk.yaml").read_text()
    cw = cw.replace("    rows: [cases]\n", "    rows: [casses]\n")  # an unknown row: 表四 left out
    cw = cw.replace(
        "    rows: [licensing, punishment, coercion]\n", "    rows: [licensing, punishment, coercion, rules]\n"
    )
    cw = cw.replace("    why: the 政府集中采购 block was removed in 2021\n", "")
    cw = cw.replace("    rows: [other.*]\n    why:", "    rows: [other.*]\n    note: x\n    why:")
    (d / "crosswalk.yaml").write_text(cw)
    rates = (d / "rates.yaml").read_text()
    rates = rates.replace("numerator: [requests:granted:total]", "numerator: [requests:granted:totl]", 1)
    rates = rates.replace("name: disclosure_rate", "name: Disclosure-Rate")
    (d / "rates.yaml").write_text(rates.replace("na_rule: >-", "na_rules: >-"))
    with pytest.raises(SchemaFileError) as e:
        load_schema(d)
    msg = str(e.value)
    assert "harmonised #3: 'casses' names no row" in msg
    assert "appeals (2019) cells named neither harmonised nor template_specific: cases/review.upheld" in msg
    assert "row 'rules' does not print column 'decisions' in every template" in msg
    assert "template_specific #6: needs 'why'" in msg
    assert "template_specific #7 has unknown fields ['note']" in msg
    assert "'requests:granted:totl' names no panel key" in msg
    assert (
        "'name' must be lower_snake_case" in msg and "needs 'na_rule'" in msg and "unknown fields ['na_rules']" in msg
    )
