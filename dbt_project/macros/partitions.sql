{#-
    The event-date window a partitioned run was asked for (orchestration/partitions.py): the
    vars `event_date_from` / `event_date_to` (inclusive days) and `event_date_exact`.

    Returns none when the run should build as without partitions: no window given, a full
    refresh, or a live run of the latest day (`event_date_exact` false: the model's own
    incremental logic rewrites whatever changed, late days included). Otherwise a dict with
    `first_day` and `last_day` as SQL date literals: the model rewrites exactly those days,
    whether they changed or not, and leaves every other row as it is.

        {%- set window = event_date_window() %}
        {% if window %} where date_day between {{ window.first_day }} and {{ window.last_day }} {% endif %}
-#}
{% macro event_date_window() -%}
    {%- set first_day = var('event_date_from', none) -%}
    {%- set last_day = var('event_date_to', none) -%}
    {%- set exact = var('event_date_exact', false) -%}
    {%- if first_day is none or last_day is none or not exact or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return({
        'first_day': "cast('" ~ first_day ~ "' as date)",
        'last_day': "cast('" ~ last_day ~ "' as date)",
    }) }}
{%- endmacro %}
