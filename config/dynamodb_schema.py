"""DynamoDB table definition for the knowledge base; run as a script to create it.

One table holds every collection (single-table design): partition key ``collection``, sort key ``id``,
and a global secondary index ``by_order`` (``collection`` + ``ord``, where ``ord`` is
``<ISO time>#<id>``) that serves newest-first listing and ``since`` range queries.

    python config/dynamodb_schema.py    # uses AWS_ENDPOINT_URL / AWS_REGION / DYNAMODB_TABLE
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ORDER_INDEX = "by_order"


def table_definition(table_name: str) -> dict[str, Any]:
    """Return the ``CreateTable`` request for the knowledge-base table (on-demand billing)."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": "collection", "AttributeType": "S"},
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "ord", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "collection", "KeyType": "HASH"},
            {"AttributeName": "id", "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": ORDER_INDEX,
                "KeySchema": [
                    {"AttributeName": "collection", "KeyType": "HASH"},
                    {"AttributeName": "ord", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    }


def create_table(client: Any, table_name: str) -> bool:
    """Create the table and wait until it is active; return False when it already existed."""
    try:
        client.create_table(**table_definition(table_name))
    except client.exceptions.ResourceInUseException:
        return False
    client.get_waiter("table_exists").wait(TableName=table_name)
    return True


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import boto3

    from config.settings import load_settings

    settings = load_settings()
    client = boto3.client("dynamodb", region_name=settings.AWS_REGION, endpoint_url=settings.AWS_ENDPOINT_URL)
    created = create_table(client, settings.DYNAMODB_TABLE)
    print(f"table {settings.DYNAMODB_TABLE}: {'created' if created else 'already exists'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
