"""Background entry points of inquiries: thin, by id, safe to run twice."""

from dues.inquiries.services import inquiry_process


def inquiry_process_task(inquiry_id: int) -> dict:
    inquiry = inquiry_process(inquiry_id=inquiry_id)
    return {"inquiry": inquiry.pk, "status": inquiry.status, "category": inquiry.category}
