{#-
    Keep one row per `partition_by`: the first by `order_by`.

    Portable on purpose (DESIGN §12): a `row_number() = 1` filter in a subquery, no `qualify`,
    no `select * exclude`. The result carries every column of `relation` plus `_dedupe_rank`
    (always 1), so the caller lists the columns it keeps in its final CTE.

        deduplicated as (
            {{ deduplicate('renamed', 'order_id', '_loaded_at, _file, _row') }}
        )

    relation: a ref/source or the name of a CTE; partition_by / order_by: SQL column lists.
-#}
{% macro deduplicate(relation, partition_by, order_by) -%}
    select *
    from (
        select
            _dedupe_input.*,
            row_number() over (
                partition by {{ partition_by }}
                order by {{ order_by }}
            ) as _dedupe_rank
        from {{ relation }} as _dedupe_input
    ) as _dedupe_ranked
    where _dedupe_rank = 1
{%- endmacro %}
