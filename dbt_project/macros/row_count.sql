{% macro log_row_count() %}
  {#- A post-hook of every model and seed: the rows of what was just built, logged as
      `returnops_row_count <table> <rows>` for the orchestrator, which puts it on the asset's
      materialization as `dagster/row_count` (orchestration/defs/transform/dbt.py). Counted
      here because the warehouse belongs to the dbt process while dbt runs. Views are not
      counted: that would run them. Returns no SQL, so the hook itself runs nothing. -#}
  {%- if execute and config.get('materialized') in ('table', 'incremental', 'seed') -%}
    {%- set result = run_query('select count(*) from ' ~ this) -%}
    {%- do log('returnops_row_count ' ~ this.identifier ~ ' ' ~ result.columns[0].values()[0], info=True) -%}
  {%- endif -%}
{% endmacro %}
