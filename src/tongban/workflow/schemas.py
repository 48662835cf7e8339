from __future__ import annotations

from datetime import date

from ninja import Field, Schema


class DueOut(Schema):
    due_date: date = Field(description="期限届满日（上海时间，含当日）")
    provisional: bool = Field(
        description="期限跨入尚未录入节假日安排的年份，仅按周末计算，待录入后重算"
    )
    from_: date = Field(alias="from", description="受理日（不计入期限）")
    days: int = Field(description="工作日数")
