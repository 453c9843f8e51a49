from bot.domain import DeliveryStatus
from tests.delivery.conftest import World


async def test_smoke(world: World) -> None:
    await world.subscribers([1001, 1002, 1003])
    alert_id = await world.alert()
    sender = world.sender()
    await sender.run_until_idle()
    rows = await world.deliveries(alert_id)
    assert [r.status for r in rows] == [DeliveryStatus.SENT] * 3
    for r in rows:
        assert r.telegram_message_id == world.emulator.bot_messages(r.chat_id)[0].message_id
    print(world.bot_texts(1001))
