import shutil

import pytest
from conftest import SHARED

from pipeline.errors import SchemaFileError
from pipeline.reconcile import CHECKS
from pipeline.schema import CHECK_PARAMS, SCHEMA_DIR, load_schema


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
    assert set(CHECK_PARAMS) == set(CHECKS)
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
