"""DynamoDB document store for more than one machine. Floats become `Decimal` only inside this module.

Item layout (see `config.dynamodb_schema`): ``collection`` + ``id`` keys, ``ord`` = ``<order>#<id>``
for the newest-first index, ``body`` (a map), filterable attributes as ``a_<name>`` and counters as
``c_<name>`` (so increments are a single atomic ``ADD``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from config.document_store import Doc, DocumentStore, JsonDict, RawPage, decode_cursor, encode_cursor
from config.dynamodb_schema import ORDER_INDEX

_TRANSACTION_LIMIT = 100


def _to_dynamo(value: Any) -> Any:
    return json.loads(json.dumps(value), parse_float=Decimal)


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


def _ord(order: str, doc_id: str) -> str:
    return f"{order}#{doc_id}"


def _split_ord(ord_value: str, doc_id: str) -> tuple[str, str]:
    return (ord_value[: -len(doc_id) - 1], doc_id)


class DynamoDocumentStore(DocumentStore):
    """Documents in one DynamoDB table, reached through a boto3 ``Table`` resource."""

    def __init__(self, table: Any) -> None:
        self._table = table
        self._client = table.meta.client

    @classmethod
    def connect(cls, table_name: str, region: str, endpoint_url: str | None = None) -> DynamoDocumentStore:
        """Return a store for ``table_name``; the table must exist (``python config/dynamodb_schema.py``)."""
        import boto3

        resource = boto3.resource("dynamodb", region_name=region, endpoint_url=endpoint_url)
        return cls(resource.Table(table_name))

    def _item(self, collection: str, doc: Doc) -> dict[str, Any]:
        item: dict[str, Any] = {
            "collection": collection,
            "id": doc.id,
            "ord": _ord(doc.order, doc.id),
            "body": _to_dynamo(doc.body),
        }
        item.update({f"a_{name}": value for name, value in doc.attrs.items()})
        return item

    def put(self, collection: str, docs: Sequence[Doc]) -> None:
        # Atomic per transaction of up to 100 documents, DynamoDB's limit for one TransactWriteItems call.
        # The resource's client serialises plain Python values (with Decimal numbers) itself.
        name = self._table.name
        for start in range(0, len(docs), _TRANSACTION_LIMIT):
            chunk = docs[start : start + _TRANSACTION_LIMIT]
            self._client.transact_write_items(
                TransactItems=[{"Put": {"TableName": name, "Item": self._item(collection, doc)}} for doc in chunk]
            )

    def compare_and_put(
        self, collection: str, guard: Doc, expected: int | None, others: Sequence[tuple[str, Doc]] = ()
    ) -> bool:
        # The guard's version is also a top-level attribute ``v`` so the condition needs no nested path. The
        # transaction fails as a whole when the condition does: DynamoDB serialises writes to one item, so of
        # two writers that read the same version exactly one succeeds.
        name = self._table.name
        item = {**self._item(collection, guard), "v": int(guard.body["version"])}
        put: dict[str, Any] = {"TableName": name, "Item": item, "ExpressionAttributeNames": {"#k": "id"}}
        if expected is None:
            put["ConditionExpression"] = "attribute_not_exists(#k)"
        else:
            put["ConditionExpression"] = "#v = :v"
            put["ExpressionAttributeNames"] = {"#v": "v"}
            put["ExpressionAttributeValues"] = {":v": expected}
        if len(others) + 1 > _TRANSACTION_LIMIT:
            raise ValueError(f"at most {_TRANSACTION_LIMIT - 1} documents go with a guard")
        transact = [{"Put": put}] + [{"Put": {"TableName": name, "Item": self._item(c, d)}} for c, d in others]
        try:
            self._client.transact_write_items(TransactItems=transact)
        except self._client.exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons", [])
            # A lost race shows as the guard's failed condition, or as a conflict with a concurrent transaction.
            if any(r.get("Code") in ("ConditionalCheckFailed", "TransactionConflict") for r in reasons):
                return False
            raise
        return True

    @staticmethod
    def _body(item: Mapping[str, Any]) -> JsonDict:
        body: JsonDict = _from_dynamo(item.get("body", {}))
        for key, value in item.items():
            if key.startswith("c_"):
                body[key[2:]] = _from_dynamo(value)
        return body

    def get(self, collection: str, doc_id: str) -> JsonDict | None:
        item = self._table.get_item(Key={"collection": collection, "id": doc_id}, ConsistentRead=True).get("Item")
        return self._body(item) if item else None

    @staticmethod
    def _filter(where: Mapping[str, str] | None) -> dict[str, Any]:
        if not where:
            return {}
        names, values, parts = {}, {}, []
        for index, (name, value) in enumerate(where.items()):
            names[f"#f{index}"] = f"a_{name}"
            values[f":f{index}"] = value
            parts.append(f"#f{index} = :f{index}")
        return {"FilterExpression": " AND ".join(parts), "names": names, "values": values}

    def _pages(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        while True:
            response = self._table.query(**request)
            yield from response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return
            request = {**request, "ExclusiveStartKey": response["LastEvaluatedKey"]}

    def query(
        self,
        collection: str,
        *,
        limit: int,
        cursor: str | None = None,
        where: Mapping[str, str] | None = None,
        since: str | None = None,
    ) -> RawPage:
        names: dict[str, str] = {"#c": "collection"}
        values: dict[str, Any] = {":c": collection}
        key_condition = "#c = :c"
        if cursor or since is not None:
            names["#o"] = "ord"
        upper = _ord(*decode_cursor(cursor)) if cursor else None
        if upper is not None and since is not None:
            key_condition += " AND #o BETWEEN :lo AND :hi"
            values.update({":lo": since, ":hi": upper})
        elif upper is not None:
            key_condition += " AND #o < :hi"
            values[":hi"] = upper
        elif since is not None:
            key_condition += " AND #o >= :lo"
            values[":lo"] = since
        request: dict[str, Any] = {
            "IndexName": ORDER_INDEX,
            "KeyConditionExpression": key_condition,
            "ScanIndexForward": False,
            "Limit": max(limit + 1, 25),
        }
        condition = self._filter(where)
        if condition:
            request["FilterExpression"] = condition["FilterExpression"]
            names.update(condition["names"])
            values.update(condition["values"])
        request["ExpressionAttributeNames"] = names
        request["ExpressionAttributeValues"] = values
        found: list[dict[str, Any]] = []
        for item in self._pages(request):
            if item["ord"] == upper:  # BETWEEN is inclusive; the cursor's own item was already returned
                continue
            found.append(item)
            if len(found) > limit:
                break
        next_cursor = None
        if len(found) > limit:
            last = found[limit - 1]
            next_cursor = encode_cursor(_split_ord(last["ord"], last["id"]))
        return RawPage([self._body(item) for item in found[:limit]], next_cursor)

    def increment(self, collection: str, doc_id: str, deltas: Mapping[str, float]) -> JsonDict:
        names = {f"#n{i}": f"c_{name}" for i, name in enumerate(deltas)}
        values = {f":v{i}": _to_dynamo(delta) for i, delta in enumerate(deltas.values())}
        names["#o"] = "ord"
        values[":o"] = _ord("", doc_id)
        adds = ", ".join(f"#n{i} :v{i}" for i in range(len(deltas)))
        response = self._table.update_item(
            Key={"collection": collection, "id": doc_id},
            UpdateExpression=f"SET #o = if_not_exists(#o, :o) ADD {adds}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        return self._body(response["Attributes"])

    def count(self, collection: str, where: Mapping[str, str] | None = None) -> int:
        request: dict[str, Any] = {
            "KeyConditionExpression": "#c = :c",
            "Select": "COUNT",
        }
        names: dict[str, str] = {"#c": "collection"}
        values: dict[str, Any] = {":c": collection}
        condition = self._filter(where)
        if condition:
            request["FilterExpression"] = condition["FilterExpression"]
            names.update(condition["names"])
            values.update(condition["values"])
        request["ExpressionAttributeNames"] = names
        request["ExpressionAttributeValues"] = values
        total = 0
        while True:
            response = self._table.query(**request)
            total += int(response["Count"])
            if "LastEvaluatedKey" not in response:
                return total
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
