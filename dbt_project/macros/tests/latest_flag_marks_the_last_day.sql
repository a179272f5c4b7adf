{#-
    Generic test on a boolean "is latest" column: it is true exactly on the rows of the newest
    `date_column` and false everywhere else.

        - name: is_latest
          data_tests:
            - latest_flag_marks_the_last_day:
                arguments:
                  date_column: date_day
-#}
{% test latest_flag_marks_the_last_day(model, column_name, date_column) %}
    select {{ date_column }}, {{ column_name }}
    from {{ model }}
    where {{ column_name }} is null
        or {{ column_name }} <> ({{ date_column }} = (select max({{ date_column }}) from {{ model }}))
{% endtest %}
